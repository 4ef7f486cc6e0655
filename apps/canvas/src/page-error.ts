// How a page reports a failed API call: a refused token ends the session (the login comes back
// with the reason); anything else is shown on the page.
import { useCallback, useState } from 'react';

export function usePageError(onAuthFailure: (err: unknown) => void) {
  const [error, setError] = useState<string>();
  const fail = useCallback(
    (err: unknown) => {
      if ((err as { status?: number }).status === 401) onAuthFailure(err);
      else setError((err as { detail?: string }).detail ?? String(err));
    },
    [onAuthFailure],
  );
  return { error, setError, fail };
}
