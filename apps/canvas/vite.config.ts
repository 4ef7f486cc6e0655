import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is served by `aob dev` and the api service from dist/ at the site root.
export default defineConfig({
  plugins: [react()],
  base: '/',
  // The first page's JavaScript is about 160 KB gzipped (React, React Flow, dagre, the app).
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1_500,
  },
});
