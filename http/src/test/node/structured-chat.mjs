// Asks an Iris server for an image description held to a JSON schema with the npm `openai` client,
// whole (chat.completions.parse) and streamed (chat.completions.stream), and prints what the client
// parsed: {"parsed": {...}, "streamed": {...}, "finish": "..."} as JSON.
// Usage: node structured-chat.mjs <base URL ending in /v1> <image URL> <schema as JSON>
import OpenAI from 'openai';

const [baseURL, imageURL, schemaText] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'sk-iris', maxRetries: 0 });
const request = {
  model: 'default',
  messages: [{
    role: 'user',
    content: [
      { type: 'image_url', image_url: { url: imageURL } },
      { type: 'text', text: 'Describe the image as JSON.' },
    ],
  }],
  response_format: { type: 'json_schema', json_schema: { name: 'scene', schema: JSON.parse(schemaText), strict: true } },
  temperature: 1,
  seed: 3,
  max_tokens: 300,
};

const whole = await client.chat.completions.parse(request);
const runner = client.chat.completions.stream(request);
const streamed = await runner.finalChatCompletion();
console.log(JSON.stringify({
  parsed: whole.choices[0].message.parsed,
  streamed: streamed.choices[0].message.parsed,
  finish: whole.choices[0].finish_reason,
}));
