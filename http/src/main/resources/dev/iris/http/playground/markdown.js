'use strict';
/*
 * A small Markdown renderer for model answers that builds DOM nodes and sets only their text:
 * nothing a model writes is ever parsed as HTML, so "<script>" or "<img onerror=…>" in an answer
 * shows as those characters. Covers what chat answers use: fenced code blocks (also one still
 * open while the answer streams), headings, lists, quotes, paragraphs, `code`, **bold**,
 * *italics* and http(s) links.
 */
window.IrisMarkdown = (() => {
  const el = (tag, text) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // Inline spans, left to right: the earliest match of any pattern wins.
  const INLINE = [
    { re: /`([^`\n]+)`/, make: m => el('code', m[1]) },
    { re: /\*\*([^*\n]+)\*\*/, make: m => el('strong', m[1]) },
    { re: /(?:^|[^\w*])\*([^*\n]+)\*/, make: m => el('em', m[1]), lead: m => m[0].startsWith('*') ? '' : m[0][0] },
    { re: /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/, make: m => link(m[1], m[2]) },
  ];

  function link(text, href) {
    const a = el('a', text);
    a.href = href;
    a.rel = 'noopener noreferrer nofollow';
    a.target = '_blank';
    return a;
  }

  function inline(parent, text) {
    while (text.length > 0) {
      let best = null;
      for (const rule of INLINE) {
        const m = rule.re.exec(text);
        if (m && (best === null || m.index < best.m.index)) best = { rule, m };
      }
      if (best === null) {
        parent.append(document.createTextNode(text));
        return;
      }
      const lead = best.rule.lead ? best.rule.lead(best.m) : '';
      parent.append(document.createTextNode(text.slice(0, best.m.index) + lead));
      parent.append(best.rule.make(best.m));
      text = text.slice(best.m.index + best.m[0].length);
    }
  }

  function lines(parent, tag, block) {
    const e = el(tag);
    block.forEach((line, i) => {
      if (i > 0) e.append(el('br'));
      inline(e, line);
    });
    parent.append(e);
  }

  function prose(out, text) {
    const all = text.split('\n');
    let i = 0;
    while (i < all.length) {
      const line = all[i];
      if (line.trim() === '') { i++; continue; }
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      if (heading) {
        const h = el('h' + Math.min(6, heading[1].length + 2));
        inline(h, heading[2]);
        out.append(h);
        i++;
        continue;
      }
      const bullet = /^\s*([-*+]|\d+[.)])\s+/;
      if (bullet.test(line)) {
        const ordered = /^\s*\d/.test(line);
        const list = el(ordered ? 'ol' : 'ul');
        while (i < all.length && bullet.test(all[i])) {
          const item = el('li');
          inline(item, all[i].replace(bullet, ''));
          list.append(item);
          i++;
        }
        out.append(list);
        continue;
      }
      if (/^\s*>/.test(line)) {
        const quoted = [];
        while (i < all.length && /^\s*>/.test(all[i])) quoted.push(all[i++].replace(/^\s*>\s?/, ''));
        lines(out, 'blockquote', quoted);
        continue;
      }
      const para = [];
      while (i < all.length && all[i].trim() !== '' && !bullet.test(all[i]) && !/^#{1,6}\s/.test(all[i])
             && !/^\s*>/.test(all[i])) {
        para.push(all[i++]);
      }
      lines(out, 'p', para);
    }
  }

  /** The answer as nodes (a fragment); a fence still open is shown as code. */
  function render(text) {
    const out = document.createDocumentFragment();
    const fence = /^```([^\n`]*)\n?/m;
    let rest = text;
    for (;;) {
      const open = fence.exec(rest);
      if (!open) { prose(out, rest); break; }
      prose(out, rest.slice(0, open.index));
      rest = rest.slice(open.index + open[0].length);
      const close = /^```[ \t]*$/m.exec(rest);
      const pre = el('pre');
      const code = el('code', close ? rest.slice(0, close.index).replace(/\n$/, '') : rest);
      if (open[1].trim()) code.dataset.lang = open[1].trim();
      pre.append(code);
      out.append(pre);
      if (!close) break;
      rest = rest.slice(close.index + close[0].length);
    }
    return out;
  }

  return { render };
})();
