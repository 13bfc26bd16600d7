import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('redacts secrets and tokens wherever they appear', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ name: 't', destination: stream });
    logger.info(
      {
        clientSecret: 'abc-secret',
        profile: { clientSecret: 'def-secret' },
        req: { headers: { authorization: 'Bearer xyz' } },
      },
      'hello',
    );
    const text = lines.join('');
    expect(text).toContain('hello');
    expect(text).not.toMatch(/abc-secret|def-secret|Bearer xyz/);
    expect(text).toContain('[redacted]');
  });
});
