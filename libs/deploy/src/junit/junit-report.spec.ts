import { JUnitParseError, parseJUnitXml } from './junit-report';

describe('parseJUnitXml', () => {
  it('reads jest-junit style: <testsuites> with suites, failures, errors and skips', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="5" failures="1" errors="1" time="1.5">
  <testsuite name="quotes" tests="3" failures="1" errors="0" skipped="1" time="0.8">
    <testcase classname="quotes GET /quotes/:symbol" name="returns a quote" time="0.1"/>
    <testcase classname="quotes GET /quotes/:symbol" name="rejects &quot;lower&quot; case &amp; digits" time="0.2">
      <failure message="expected 400, got 200" type="AssertionError"><![CDATA[Error: expected 400, got 200
    at Object.<anonymous> (quotes.test.ts:12:5)]]></failure>
    </testcase>
    <testcase classname="quotes" name="later" time="0"><skipped/></testcase>
  </testsuite>
  <!-- a comment <testcase name="not a case"/> -->
  <testsuite name="ping" tests="2">
    <testcase classname="ping" name="answers pong" time="0.01"/>
    <testcase classname="ping" name="crashes" time="0.02"><error message="TypeError: x is undefined" type="TypeError">stack</error></testcase>
  </testsuite>
</testsuites>`;
    const summary = parseJUnitXml(xml);
    expect(summary).toMatchObject({ tests: 5, passed: 2, failures: 1, errors: 1, skipped: 1, timeSeconds: 1.5 });
    expect(summary.failedCases).toEqual([
      {
        name: 'rejects "lower" case & digits',
        classname: 'quotes GET /quotes/:symbol',
        suite: 'quotes',
        kind: 'failure',
        message: 'expected 400, got 200',
        type: 'AssertionError',
        detail: 'Error: expected 400, got 200\n    at Object.<anonymous> (quotes.test.ts:12:5)',
      },
      { name: 'crashes', classname: 'ping', suite: 'ping', kind: 'error', message: 'TypeError: x is undefined', type: 'TypeError', detail: 'stack' },
    ]);
  });

  it("reads Node's test runner: cases straight under <testsuites>, totals only in comments", () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
	<testcase name="ok" time="0.000861" classname="test"/>
	<testcase name="bad" time="0.000697" classname="test" failure="1 == 2">
		<failure type="testCodeFailure" message="1 == 2">
[Error [ERR_TEST_FAILURE]: 1 == 2] { at TestContext.&lt;anonymous> (/tmp/a.test.js:3:26) }
		</failure>
	</testcase>
	<!-- tests 2 -->
</testsuites>`;
    const summary = parseJUnitXml(xml);
    expect(summary).toMatchObject({ tests: 2, passed: 1, failures: 1, errors: 0, skipped: 0 });
    expect(summary.failedCases[0]).toMatchObject({ name: 'bad', kind: 'failure', message: '1 == 2' });
    expect(summary.failedCases[0].detail).toContain('TestContext.<anonymous>');
  });

  it('reads a lone <testsuite> root (pytest, surefire) and nested suites', () => {
    const xml = `<testsuite name="outer" tests="2"><testsuite name="inner"><testcase name="a"/><testcase name='b'><failure/></testcase></testsuite></testsuite>`;
    const summary = parseJUnitXml(xml);
    expect(summary).toMatchObject({ tests: 2, passed: 1, failures: 1 });
    expect(summary.failedCases).toEqual([{ name: 'b', suite: 'inner', kind: 'failure' }]);
  });

  it('falls back to suite totals when a report lists no cases', () => {
    const xml = `<testsuites><testsuite name="a" tests="10" failures="2" errors="1" skipped="3" time="1,234.5"/><testsuite name="b" tests="4" time="0.5"/></testsuites>`;
    expect(parseJUnitXml(xml)).toMatchObject({ tests: 14, failures: 2, errors: 1, skipped: 3, passed: 8, timeSeconds: 1235, failedCases: [] });
  });

  it('handles a BOM, a DOCTYPE, numeric entities and single-quoted attributes', () => {
    const xml = `\ufeff<?xml version='1.0'?><!DOCTYPE testsuites [ <!ELEMENT testsuites ANY> ]><testsuites><testcase name='caf&#233; &#x2713;'><failure message='x'/></testcase></testsuites>`;
    expect(parseJUnitXml(xml).failedCases[0].name).toBe('café ✓');
  });

  it.each([
    ['', 'the file contains no XML element'],
    ['not xml at all', 'malformed XML at line 1: text outside the root element'],
    ['<testsuites><testcase name="a"></testsuites>', 'malformed XML at line 1: expected </testcase>, found </testsuites>'],
    ['<testsuites>\n<testcase name="a">', 'malformed XML at line 2: <testcase> is never closed'],
    ['<testsuites><testcase name=a/></testsuites>', 'malformed XML at line 1: the value of attribute name in <testcase> must be quoted'],
    ['<testsuites><testcase name="a" ?></testsuites>', 'malformed XML at line 1: unexpected "?" in <testcase>'],
    ['<html><body/></html>', 'not a JUnit report: the root element is <html>, expected <testsuites> or <testsuite>'],
    ['<testsuites/><testsuites/>', 'malformed XML at line 1: a second root element <testsuites>'],
  ])('rejects %j with a message saying why', (xml, message) => {
    expect(() => parseJUnitXml(xml)).toThrow(JUnitParseError);
    expect(() => parseJUnitXml(xml)).toThrow(message);
  });

  it('shortens huge failure bodies', () => {
    const xml = `<testsuites><testcase name="a"><failure>${'x'.repeat(10_000)}</failure></testcase></testsuites>`;
    expect(parseJUnitXml(xml).failedCases[0].detail?.length).toBeLessThanOrEqual(4001);
  });
});
