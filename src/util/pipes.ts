// Output into a closed pipe (`skewwatch check | head`) ends the command
// quietly: EPIPE is the reader saying "enough", not an error to print with a
// stack trace.

function isEpipe(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

const installed = new WeakSet<object>();

/** On EPIPE, exit at once with the exit code set so far (0 if none). Other stream errors are rethrown. */
export function endQuietlyOnClosedPipe(stream: NodeJS.WritableStream): void {
  if (installed.has(stream)) return;
  installed.add(stream);
  stream.on('error', (e: unknown) => {
    if (isEpipe(e)) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
}

export { isEpipe };
