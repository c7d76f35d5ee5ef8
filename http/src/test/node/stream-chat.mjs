// Streams one chat completion with an image from an Iris server with the npm `openai` client,
// twice: as a raw stream and through the client's stream helper (which checks a role and a
// finish_reason per choice). Prints {"raw": "...", "helper": "...", "finish": "..."} as JSON.
// Usage: node stream-chat.mjs <base URL ending in /v1> <user text> <image URL>
import OpenAI from 'openai';

const [baseURL, userText, imageURL] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'sk-iris', maxRetries: 0 });
const request = {
  model: 'default',
  messages: [{
    role: 'user',
    content: [
      { type: 'image_url', image_url: { url: imageURL } },
      { type: 'text', text: userText },
    ],
  }],
  temperature: 0,
  max_tokens: 8,
  ignore_eos: true,
};

let raw = '';
const stream = await client.chat.completions.create({ ...request, stream: true });
for await (const chunk of stream) {
  raw += chunk.choices[0]?.delta?.content ?? '';
}

const runner = client.chat.completions.stream(request);
const final = await runner.finalChatCompletion();

console.log(JSON.stringify({
  raw,
  helper: final.choices[0].message.content,
  finish: final.choices[0].finish_reason,
}));
