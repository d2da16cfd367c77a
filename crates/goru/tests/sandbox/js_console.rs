//! JavaScript's console: node's streams, methods and util.inspect formatting.

use goru::JavaScript;

use crate::common::{js, run};

#[test]
fn log_info_debug_go_to_stdout_and_error_warn_trace_to_stderr() {
    let result = run(
        &JavaScript,
        "console.log('log'); console.info('info'); console.debug('debug');\n\
         console.error('error'); console.warn('warn'); function f() { console.trace('here') } f()",
    )
    .unwrap();
    assert!(result.success(), "{}", result.stderr_lossy());
    assert_eq!(result.stdout_lossy(), "log\ninfo\ndebug\n");
    assert_eq!(
        result.stderr_lossy(),
        "error\nwarn\nTrace: here\n    at f (<string>:2:70)\n    at <string>:2:86\n"
    );
}

/// `console.log(value)` against what node 22 prints for it.
#[test]
fn values_are_formatted_as_node_formats_them() {
    let cases = [
        ("{a: 1, b: 'x'}", "{ a: 1, b: 'x' }"),
        ("[1, 2]", "[ 1, 2 ]"),
        ("[]", "[]"),
        ("({})", "{}"),
        ("{a: {b: {c: {d: 1}}}}", "{ a: { b: { c: [Object] } } }"),
        ("[[[[1]]]]", "[ [ [ [Array] ] ] ]"),
        ("['it\\'s', \"q\"]", "[ \"it's\", 'q' ]"),
        ("new Map([[1, 2]])", "Map(1) { 1 => 2 }"),
        ("new Set([1, 'a'])", "Set(2) { 1, 'a' }"),
        ("new Date(0)", "1970-01-01T00:00:00.000Z"),
        (
            "(() => { class Foo { constructor() { this.x = 1 } }; return new Foo() })()",
            "Foo { x: 1 }",
        ),
        (
            "(() => { const o = {n: 1}; o.self = o; return o })()",
            "<ref *1> { n: 1, self: [Circular *1] }",
        ),
        ("[1, 2, 3, 4, 5, 6, 7]", "[\n  1, 2, 3, 4,\n  5, 6, 7\n]"),
        ("{'a-b': 1, [Symbol('s')]: 2}", "{ 'a-b': 1, [Symbol(s)]: 2 }"),
        ("function named() {}", "[Function: named]"),
        ("class A {}", "[class A]"),
        (
            "[undefined, null, -0, 1n, NaN]",
            "[ undefined, null, -0, 1n, NaN ]",
        ),
        ("Object.create(null)", "[Object: null prototype] {}"),
        ("new Uint8Array([1, 2])", "Uint8Array(2) [ 1, 2 ]"),
        ("[1, , 3]", "[ 1, <1 empty item>, 3 ]"),
        ("/x+/g", "/x+/g"),
        (
            "{long1: 'aaaaaaaaaaaaaaaaaaaa', long2: 'bbbbbbbbbbbbbbbbbbbb', long3: 'cccccccccccccccccccc'}",
            "{\n  long1: 'aaaaaaaaaaaaaaaaaaaa',\n  long2: 'bbbbbbbbbbbbbbbbbbbb',\n  long3: 'cccccccccccccccccccc'\n}",
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(
            js(&format!("console.log({value})")),
            format!("{expected}\n"),
            "{value}"
        );
    }
}

#[test]
fn errors_print_their_stack_and_strings_print_raw_at_the_top() {
    assert_eq!(
        js("function f() { return new RangeError('bad') }\nconsole.log(f())"),
        "RangeError: bad\n    at f (<string>:1:26)\n    at <string>:2:13\n"
    );
    assert_eq!(js("console.log('a', 'b', 1, {s: 'c'})"), "a b 1 { s: 'c' }\n");
    assert_eq!(
        js(
            "console.log('%s is %d, %i, %f %j %o %% %c.', 'x', 4.5, 4.5, '1.5', {a: 1}, [1], 'color: red', 'rest')"
        ),
        "x is 4.5, 4, 1.5 {\"a\":1} [ 1 ] % . rest\n"
    );
}

#[test]
fn table_assert_count_and_time_work_as_in_node() {
    let result = run(
        &JavaScript,
        "console.table([{a: 1, b: 'x'}, {a: 2}]);\n\
         console.assert(1 === 1, 'not shown'); console.assert(false, 'shown %s', 'here'); console.assert(0);\n\
         console.count(); console.count(); console.count('k'); console.countReset(); console.count();\n\
         console.time('t'); console.timeEnd('t'); console.timeEnd('t');\n\
         console.group('g'); console.log('inside'); console.groupEnd(); console.log('outside');\n\
         console.dir({a: {b: {c: {}}}}, {depth: 0})",
    )
    .unwrap();
    let stdout = result.stdout_lossy();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        &lines[..6],
        [
            "┌─────────┬───┬─────┐",
            "│ (index) │ a │ b   │",
            "├─────────┼───┼─────┤",
            "│ 0       │ 1 │ 'x' │",
            "│ 1       │ 2 │     │",
            "└─────────┴───┴─────┘",
        ]
    );
    assert_eq!(&lines[6..10], ["default: 1", "default: 2", "k: 1", "default: 1"]);
    assert!(
        lines[10].starts_with("t: ") && lines[10].ends_with("ms"),
        "{}",
        lines[10]
    );
    assert_eq!(&lines[11..], ["g", "  inside", "outside", "{ a: [Object] }"]);
    assert_eq!(
        result.stderr_lossy(),
        "Assertion failed: shown here\nAssertion failed\nWarning: No such label 't' for console.timeEnd()\n"
    );
}
