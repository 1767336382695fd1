/** How approved messages leave: the runtime provides a transport (SMTP on Node when SMTP_URL is set). */
export interface MailMessage {
  to: string;
  subject: string;
  body: string;
}

export interface MailTransport {
  send(message: MailMessage): Promise<void>;
}
