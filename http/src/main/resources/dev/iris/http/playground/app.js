'use strict';
/*
 * The Iris playground: a chat with the server that served this page, through its own OpenAI API
 * (/v1/models, /get_server_info, /v1/chat/completions streamed as server-sent events). Images go
 * as data URLs, or as URLs the server fetches; the page itself loads nothing from anywhere else.
 */
(() => {
  const $ = id => document.getElementById(id);
  const STORE = 'iris.playground.conversation';
  const KEY = 'iris.playground.key';

  /** The conversation: OpenAI messages, each with what the page shows about it. */
  let conversation = [];
  /** Images attached to the message being written: {url, name, remote}. */
  let pending = [];
  let running = null; // the AbortController of the answer streaming now

  // ---- the API ----------------------------------------------------------------------------

  function headers(json) {
    const h = {};
    if (json) h['Content-Type'] = 'application/json';
    const key = sessionStorage.getItem(KEY);
    if (key) h['Authorization'] = 'Bearer ' + key;
    return h;
  }

  /** fetch, asking for the API key when the server wants one (401), then trying again. */
  async function api(path, init = {}) {
    for (;;) {
      const res = await fetch(path, { ...init, headers: headers(init.body !== undefined) });
      if (res.status !== 401) return res;
      sessionStorage.removeItem(KEY);
      await askKey();
    }
  }

  function askKey() {
    return new Promise(resolve => {
      const dialog = $('key-dialog');
      const done = () => {
        const key = $('key').value.trim();
        if (!key) { dialog.showModal(); return; }
        sessionStorage.setItem(KEY, key);
        $('forget-key').hidden = false;
        dialog.removeEventListener('close', done);
        resolve();
      };
      dialog.addEventListener('close', done);
      $('key').value = '';
      dialog.showModal();
      $('key').focus();
    });
  }

  /** The message an error answer carries (OpenAI's {error: {message}} or SGLang's flat one). */
  async function errorText(res) {
    const body = await res.text();
    try {
      const json = JSON.parse(body);
      return (json.error && json.error.message) || json.message || json.detail || body;
    } catch {
      return body || res.status + ' ' + res.statusText;
    }
  }

  async function loadChoices() {
    try {
      const models = await (await api('/v1/models')).json();
      const select = $('model');
      select.replaceChildren();
      for (const m of models.data || []) select.append(new Option(m.id, m.id));
      const info = await api('/get_server_info');
      if (info.ok) {
        const json = await info.json();
        const templates = $('template');
        for (const name of json.chat_templates || []) {
          templates.append(new Option(name + (name === json.chat_template ? ' (the server\'s)' : ''), name));
        }
      }
    } catch (e) {
      notice('Could not reach the server: ' + e.message);
    }
  }

  // ---- images -----------------------------------------------------------------------------

  function addFiles(files) {
    for (const file of files) {
      if (!file.type.startsWith('image/')) continue;
      const reader = new FileReader();
      reader.onload = () => { pending.push({ url: reader.result, name: file.name || 'pasted image', remote: false }); showPending(); };
      reader.readAsDataURL(file);
    }
  }

  function addUrl() {
    const input = $('image-url');
    if (addRemote(input.value.trim())) input.value = '';
    else notice('An image URL starts with http:// or https://.');
  }

  /** An image by URL, for the server to fetch; false when it is not an http(s) URL. */
  function addRemote(url) {
    if (!/^https?:\/\/\S+$/i.test(url)) return false;
    pending.push({ url, name: url, remote: true });
    showPending();
    return true;
  }

  /** A thumbnail: the image itself for a data URL; for a URL, its text (the server fetches it, not the page). */
  function thumbnail(image) {
    if (image.remote) {
      const span = document.createElement('span');
      span.className = 'thumb url';
      span.textContent = image.url;
      span.title = image.url;
      return span;
    }
    const img = document.createElement('img');
    img.className = 'thumb';
    img.src = image.url;
    img.alt = image.name;
    return img;
  }

  function showPending() {
    const list = $('attachments');
    list.replaceChildren();
    pending.forEach((image, i) => {
      const item = document.createElement('li');
      item.append(thumbnail(image));
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'remove';
      remove.textContent = '×';
      remove.setAttribute('aria-label', 'Remove ' + image.name);
      remove.onclick = () => { pending.splice(i, 1); showPending(); };
      item.append(remove);
      list.append(item);
    });
  }

  // ---- the conversation -------------------------------------------------------------------

  function notice(text) {
    const n = $('notice');
    n.textContent = text;
    n.hidden = !text;
  }

  function save() {
    try {
      localStorage.setItem(STORE, JSON.stringify(conversation));
    } catch {
      // Too large to keep (many images): the conversation lives on in this tab.
    }
  }

  function restore() {
    try {
      conversation = JSON.parse(localStorage.getItem(STORE) || '[]');
    } catch {
      conversation = [];
    }
    conversation.forEach(show);
  }

  /** Adds a message's view to the page and returns its parts. */
  function show(message) {
    $('empty').hidden = true;
    const item = document.createElement('li');
    item.className = 'message ' + message.role + (message.error ? ' error' : '');
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = message.role === 'user' ? 'You' : 'Model';
    item.append(who);
    if (message.images && message.images.length) {
      const images = document.createElement('div');
      images.className = 'images';
      message.images.forEach(image => images.append(thumbnail(image)));
      item.append(images);
    }
    const body = document.createElement('div');
    body.className = 'body';
    item.append(body);
    const stats = document.createElement('div');
    stats.className = 'stats';
    item.append(stats);
    $('conversation').append(item);
    fill(message, body, stats);
    item.scrollIntoView({ block: 'end' });
    return { item, body, stats };
  }

  function fill(message, body, stats) {
    if (message.role === 'user' || message.error) {
      body.textContent = message.text;
    } else {
      body.replaceChildren(IrisMarkdown.render(message.text));
    }
    stats.textContent = message.stats || '';
  }

  function clear() {
    if (running) running.abort();
    conversation = [];
    save();
    $('conversation').replaceChildren();
    $('empty').hidden = false;
    notice('');
  }

  /** The OpenAI messages of the conversation so far, system prompt first. */
  function apiMessages() {
    const out = [];
    const system = $('system').value.trim();
    if (system) out.push({ role: 'system', content: system });
    for (const m of conversation) {
      if (m.error) continue;
      if (m.role === 'user' && m.images && m.images.length) {
        out.push({ role: 'user', content: [...m.images.map(i => ({ type: 'image_url', image_url: { url: i.url } })),
          { type: 'text', text: m.text }] });
      } else {
        out.push({ role: m.role, content: m.text });
      }
    }
    return out;
  }

  function number(id) {
    const v = $(id).value.trim();
    return v === '' ? undefined : Number(v);
  }

  function requestBody() {
    const body = {
      model: $('model').value || undefined,
      messages: apiMessages(),
      stream: true,
      stream_options: { include_usage: true },
      temperature: number('temperature'),
      top_p: number('top-p'),
      max_tokens: number('max-tokens'),
      seed: number('seed'),
    };
    if ($('template').value) body.chat_template = $('template').value;
    const schema = $('schema').value.trim();
    if (schema) {
      body.response_format = { type: 'json_schema', json_schema: { name: 'answer', schema: JSON.parse(schema), strict: true } };
    }
    return body;
  }

  async function send() {
    if (running) return;
    const text = $('prompt').value.trim();
    if (!text && pending.length === 0) return;
    let body;
    const user = { role: 'user', text, images: pending };
    conversation.push(user);
    try {
      body = requestBody();
    } catch (e) {
      conversation.pop();
      notice('The JSON schema is not valid JSON: ' + e.message);
      return;
    }
    notice('');
    show(user);
    $('prompt').value = '';
    pending = [];
    showPending();
    const answer = { role: 'assistant', text: '' };
    const view = show(answer);
    view.item.classList.add('streaming');
    running = new AbortController();
    $('stop').hidden = false;
    $('send').disabled = true;
    const started = performance.now();
    let first = 0;
    let usage = null;
    let finish = null;
    try {
      const res = await api('/v1/chat/completions', { method: 'POST', body: JSON.stringify(body), signal: running.signal });
      if (!res.ok) throw new ApiError(await errorText(res));
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          for (const line of event.split('\n')) {
            if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
            const chunk = JSON.parse(line.slice(6));
            if (chunk.error) throw new ApiError(chunk.error.message || JSON.stringify(chunk.error));
            if (chunk.usage) usage = chunk.usage;
            const choice = chunk.choices && chunk.choices[0];
            if (choice && choice.delta && choice.delta.content) {
              if (!first) first = performance.now();
              answer.text += choice.delta.content;
              fill(answer, view.body, view.stats);
            }
            if (choice && choice.finish_reason) finish = choice.finish_reason;
          }
        }
      }
      answer.stats = statsLine(usage, started, first, finish);
    } catch (e) {
      if (e.name === 'AbortError') {
        answer.stats = 'stopped' + (first ? ' · ' + statsLine(null, started, first, null) : '');
      } else {
        answer.error = true;
        answer.text = e instanceof ApiError ? e.message : 'The request failed: ' + e.message;
        view.item.classList.add('error');
      }
    } finally {
      view.item.classList.remove('streaming');
      fill(answer, view.body, view.stats);
      conversation.push(answer);
      save();
      running = null;
      $('stop').hidden = true;
      $('send').disabled = false;
      $('prompt').focus();
    }
  }

  class ApiError extends Error {}

  /** "12 prompt + 34 answer tokens · first token 0.21 s · 18.3 tokens/s". */
  function statsLine(usage, started, first, finish) {
    const end = performance.now();
    const parts = [];
    if (usage) parts.push(usage.prompt_tokens + ' prompt + ' + usage.completion_tokens + ' answer tokens');
    if (first) parts.push('first token ' + ((first - started) / 1000).toFixed(2) + ' s');
    if (usage && first && end > first && usage.completion_tokens > 1) {
      parts.push(((usage.completion_tokens - 1) / ((end - first) / 1000)).toFixed(1) + ' tokens/s');
    }
    if (finish === 'length') parts.push('cut at max tokens');
    return parts.join(' · ');
  }

  // ---- wiring -----------------------------------------------------------------------------

  $('composer').addEventListener('submit', e => { e.preventDefault(); send(); });
  $('prompt').addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  document.addEventListener('keydown', e => { if (e.key === 'Escape' && running) running.abort(); });
  $('stop').addEventListener('click', () => running && running.abort());
  $('clear').addEventListener('click', clear);
  $('file').addEventListener('change', e => { addFiles(e.target.files); e.target.value = ''; });
  $('add-url').addEventListener('click', addUrl);
  $('image-url').addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); addUrl(); } });
  document.addEventListener('paste', e => {
    const files = [...(e.clipboardData ? e.clipboardData.files : [])];
    if (files.length) { e.preventDefault(); addFiles(files); }
  });
  document.addEventListener('dragover', e => { e.preventDefault(); document.body.classList.add('dropping'); });
  document.addEventListener('dragleave', e => { if (!e.relatedTarget) document.body.classList.remove('dropping'); });
  document.addEventListener('drop', e => {
    e.preventDefault();
    document.body.classList.remove('dropping');
    if (!e.dataTransfer) return;
    if (e.dataTransfer.files.length) {
      addFiles(e.dataTransfer.files);
    } else {
      // An image dragged from another page arrives as its URL.
      const uri = (e.dataTransfer.getData('text/uri-list') || e.dataTransfer.getData('text/plain')).split('\n')[0].trim();
      if (!addRemote(uri)) notice('Only images and image URLs can be dropped here.');
    }
  });
  $('settings-toggle').addEventListener('click', () => {
    const panel = $('settings');
    panel.hidden = !panel.hidden;
    $('settings-toggle').setAttribute('aria-expanded', String(!panel.hidden));
  });
  $('forget-key').hidden = !sessionStorage.getItem(KEY);
  $('forget-key').addEventListener('click', () => { sessionStorage.removeItem(KEY); $('forget-key').hidden = true; });

  restore();
  loadChoices();
  $('prompt').focus();
})();
