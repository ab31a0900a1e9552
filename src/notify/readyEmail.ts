export interface ReadyEmailInput {
  recipientName: string;
  type: 'video' | 'image';
  assetUrl: string;
  libraryUrl: string;
  prompt?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const TIPS: Record<ReadyEmailInput['type'], string[]> = {
  video: ['Download it soon: links to generated files may expire.', 'Share the link directly; it plays in any browser.', 'Try a similar prompt with a different camera move for a new take.'],
  image: ['Download the full-resolution file from the link.', 'Reuse the prompt with a different style word for variations.', 'Images make good first frames for image-to-video.'],
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "Your AI video is ready!": plain-text and HTML parts with the same content. */
export function renderReadyEmail(input: ReadyEmailInput): RenderedEmail {
  const noun = input.type === 'video' ? 'video' : 'image';
  const subject = `Your AI ${noun} is ready!`;
  const tips = TIPS[input.type];
  const promptLine = input.prompt ? `Prompt: "${input.prompt.slice(0, 200)}"` : '';
  const text = [
    `Hi ${input.recipientName},`,
    '',
    `Good news: your AI ${noun} has finished generating and is ready to view.`,
    promptLine,
    '',
    `Open your ${noun}: ${input.assetUrl}`,
    `View in Assets Library: ${input.libraryUrl}`,
    '',
    'Tips:',
    ...tips.map((t) => `- ${t}`),
  ].filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n');
  const e = escapeHtml;
  const html = `<!doctype html>
<html><body style="margin:0;padding:24px;background:#f5f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d1d1f">
<table role="presentation" width="100%" style="max-width:560px;margin:0 auto;background:#fff;border-radius:12px;padding:32px">
<tr><td>
<h1 style="font-size:22px;margin:0 0 16px">${e(subject)}</h1>
<p>Hi ${e(input.recipientName)},</p>
<p>Good news: your AI ${noun} has finished generating and is ready to view.</p>
${promptLine ? `<p style="color:#555">${e(promptLine)}</p>` : ''}
<p><a href="${e(input.assetUrl)}">Open your ${noun}</a></p>
<p style="margin:28px 0"><a href="${e(input.libraryUrl)}" style="background:#0a66ff;color:#fff;text-decoration:none;padding:12px 20px;border-radius:8px;display:inline-block">View in Assets Library</a></p>
<h2 style="font-size:15px;margin:24px 0 8px">Tips</h2>
<ul>${tips.map((t) => `<li>${e(t)}</li>`).join('')}</ul>
</td></tr></table></body></html>`;
  return { subject, text, html };
}
