/**
 * Redis connection errors as one line per outage, not one stack trace per reconnect attempt:
 * ioredis retries every second or two while Redis is down, and every client reports each try.
 */
export function quietErrors(say: (line: string) => void, quietMs = 30_000): (e: Error) => void {
  let last = '';
  let at = 0;
  return (e: Error) => {
    const line = `queue error: ${e.message.split('\n')[0]}`;
    if (line === last && Date.now() - at < quietMs) return;
    last = line;
    at = Date.now();
    say(
      /ECONNREFUSED|ECONNRESET|EPIPE|Connection is closed/.test(line)
        ? `${line} (Redis unreachable; retrying until it is back)`
        : line,
    );
  };
}
