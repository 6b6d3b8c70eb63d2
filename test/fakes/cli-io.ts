// A CommandIo whose stdout and stderr are captured, for running main() in-process.
import { Writable } from 'node:stream';

export function captureIo(env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  return {
    io: {
      out: new Writable({ write(c, _e, cb) { out += String(c); cb(); } }),
      err: new Writable({ write(c, _e, cb) { err += String(c); cb(); } }),
      env,
    },
    out: () => out,
    err: () => err,
  };
}
