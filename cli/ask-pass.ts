/**
 * `--ask-pass`: read the password from the terminal with no echo (stdin in raw mode). Not a terminal:
 * a one-line error pointing at the non-interactive sources. Ctrl-C at the prompt cancels.
 */
import { InvalidOptionError, MigrationCancelledError } from '../mod.ts';

export function askPass(prompt = 'Password: ', input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY) {
    return Promise.reject(new InvalidOptionError('--ask-pass needs a terminal: in scripts, use MYSQL_PWD or --defaults-file'));
  }
  input.setRawMode(true); // before the prompt: what is typed as soon as it shows is never echoed
  input.resume();
  output.write(prompt);
  return new Promise<string>((resolve, reject) => {
    let typed = '';
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new MigrationCancelledError('cancelled at the password prompt'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}
