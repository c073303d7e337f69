import { formLeaves, markupLeaves } from './xml-leaves';

describe('markupLeaves', () => {
  it('flattens XML into element paths with indices from the second same-named sibling on', () => {
    const xml =
      '<?xml version="1.0"?>\n<root>\n  <item id="1"><price>1.50</price></item>\n  <item id="2"><price>2 &amp; more</price><![CDATA[<raw>]]></item>\n</root>';
    expect(markupLeaves(xml, 'xml')).toEqual([
      { path: '/root/item/@id', value: '1', line: 3 },
      { path: '/root/item/price', value: '1.50', line: 3 },
      { path: '/root/item[2]/@id', value: '2', line: 4 },
      { path: '/root/item[2]/price', value: '2 & more', line: 4 },
      { path: '/root/item[2]', value: '<raw>', line: 4 },
    ]);
  });

  it('reads HTML leniently: void elements, raw-text scripts, comments, unclosed tags, case', () => {
    const html = '<!DOCTYPE html>\n<HTML><head><script nonce="n1">if (a < b) {}</script></head>\n<body><!-- x --><p>one<br>two<p>three</body></html>';
    expect(markupLeaves(html, 'html')).toEqual([
      { path: '/html/head/script/@nonce', value: 'n1', line: 2 },
      { path: '/html/head/script', value: 'if (a < b) {}', line: 2 },
      { path: '/html/body/p', value: 'one two', line: 3 },
      { path: '/html/body/p[2]', value: 'three', line: 3 },
    ]);
  });

  it('keeps deep, broken nesting bounded', () => {
    const leaves = markupLeaves(`${'<div>'.repeat(10_000)}x`, 'html');
    expect(leaves).toHaveLength(1);
  });
});

describe('formLeaves', () => {
  it('names keys, repeated keys by occurrence', () => {
    expect(formLeaves('a=1&tag=x&tag=y+z&csrf=%2F')).toEqual([
      { path: 'a', value: '1', line: 1 },
      { path: 'tag', value: 'x', line: 1 },
      { path: 'tag[2]', value: 'y z', line: 1 },
      { path: 'csrf', value: '/', line: 1 },
    ]);
  });
});
