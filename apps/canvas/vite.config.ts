import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is served by `aob dev` and the api service from dist/ at the site root.
export default defineConfig({
  plugins: [react()],
  base: '/',
  // ELK (the graph layout) is one 1.4 MB chunk loaded on demand; the first page's is ~140 KB gzipped.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1_500,
  },
});
