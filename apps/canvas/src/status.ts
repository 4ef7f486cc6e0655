// A status is shown with a colour and an icon and its word, never by colour alone.
export const STATUS_ICON: Record<string, string> = {
  pending: '○',
  scheduled: '◔',
  running: '◐',
  waiting: '‖',
  succeeded: '✓',
  completed: '✓',
  failed: '✕',
  skipped: '↷',
  cancelled: '⊘',
  open: '‖',
  approved: '✓',
  rejected: '✕',
  proposed: '○',
  held: '‖',
  applied: '✓',
  reverted: '↶',
  answered: '✓',
  closed: '⊘',
};

export function statusClass(status: string): string {
  return `status status-${status}`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m} min ${Math.round((ms % 60_000) / 1_000)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatTime(at: number): string {
  return new Date(at).toLocaleString();
}
