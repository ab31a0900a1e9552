import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  port: number;
  messages: ParsedMail[];
  /** When each message was accepted (Date.now()), in the order of `messages`. */
  acceptedAt: number[];
  /** Accepting connections right now. */
  readonly up: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A real SMTP server on loopback that keeps every message it accepts, and can be taken down and brought back. */
export async function createSmtpSink(port: number): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const acceptedAt: number[] = [];
  let server: SMTPServer | undefined;
  const sink: SmtpSink = {
    port,
    messages,
    acceptedAt,
    get up() {
      return server !== undefined;
    },
    async start() {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onData(stream, _session, callback) {
          simpleParser(stream).then((mail) => {
            messages.push(mail);
            acceptedAt.push(Date.now());
            callback();
          }, callback);
        },
      });
      // A sender killed mid-conversation resets its connection; that is the sender's fault, not the sink's.
      server.on('error', () => undefined);
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await sink.start();
  return sink;
}
