import type { Connection } from '../feed.js';

/** Shown while the live feed is down; it resumes from the last event it had. */
export function Banner({ connection }: { connection: Connection }) {
  if (connection.state === 'live') return null;
  return (
    <div role="status" className="banner">
      Connection lost ({connection.reason}); reconnecting — nothing will be missed.
    </div>
  );
}
