//! Deep recursion, both languages: the interpreter notices it and throws an
//! exception the code can catch and go on from (QuickJS's stack limit sits
//! below its shadow stack, see goru-lang-js's build/stack.rs); what recursion
//! the interpreter does not check (C code without a stack check) still ends
//! in a typed error, never in corrupted memory.

use goru::{Error, JavaScript, Language, Python, TrapKind};

use crate::common::{js, py, run};

#[test]
fn python_recursion_is_a_recursion_error_the_code_can_catch() {
    let code = "def f():\n    f()\ntry:\n    f()\nexcept RecursionError as e:\n    print(type(e).__name__)\nprint('after', sum(range(10)))";
    assert_eq!(py(code), "RecursionError\nafter 45\n");
    let result = run(&Python, "def f(n): return f(n + 1)\nf(0)").unwrap();
    assert_eq!(
        result.exception.map(|e| e.kind).as_deref(),
        Some("RecursionError")
    );
}

#[test]
fn js_recursion_is_a_range_error_the_code_can_catch() {
    let code = "function f() { f() }\ntry { f() } catch (e) { console.log(e.name, e.message) }\nconsole.log('after', JSON.stringify({a: [1, 2]}), 'abc'.toUpperCase())";
    assert_eq!(
        js(code),
        "RangeError Maximum call stack size exceeded\nafter {\"a\":[1,2]} ABC\n"
    );
    let result = run(&JavaScript, "function f(n) { return f(n + 1) + 1 }\nf(0)").unwrap();
    assert_eq!(result.exception.map(|e| e.kind).as_deref(), Some("RangeError"));
}

#[test]
fn js_recursion_through_builtins_is_caught_too() {
    for code in [
        "function f() { [1].map(f) } f()",
        "const o = { get x() { return this.x } }; o.x",
        "const o = { toString() { return String(this) } }; String(o)",
        "const p = new Proxy({}, { get(t, k, r) { return r[k] } }); p.x",
        "function f() { return f.call() } f()",
        "function f() { return eval('f()') } f()",
    ] {
        let caught = format!("try {{ {code} }} catch (e) {{ console.log(e.name) }}\nconsole.log('after')");
        assert_eq!(js(&caught), "RangeError\nafter\n", "{code}");
    }
}

#[test]
fn js_recursion_as_deep_as_a_program_may_need_works() {
    // The limit allows about 700 plain calls; 500 is a depth real code meets.
    let code = "function depth(n) { return n === 0 ? 0 : 1 + depth(n - 1) } console.log(depth(500))";
    assert_eq!(js(code), "500\n");
}

/// Recursion in the interpreter's C code that it does not check must still
/// end in an error (its own, or a trap) and leave the executor working. The
/// traps: the native stack runs out (`StackOverflow`), or CPython's shadow
/// stack, which starts at the bottom of its memory, runs below address 0
/// (`OutOfBounds`; nothing lies below it to overwrite).
fn assert_recursion_is_contained(language: &dyn Language, code: &str, exception_kinds: &[&str]) {
    match run(language, code) {
        Err(Error::Trap { kind, .. }) => assert!(
            matches!(kind, TrapKind::StackOverflow | TrapKind::OutOfBounds),
            "{kind:?}"
        ),
        Err(Error::MemoryLimit { .. }) => {}
        Ok(result) => {
            let kind = result.exception.as_ref().map(|e| e.kind.as_str());
            assert!(kind.is_some_and(|k| exception_kinds.contains(&k)), "{result:?}");
        }
        Err(other) => panic!("{other:?}"),
    }
    assert!(run(language, "").unwrap().success(), "the executor still works");
}

#[test]
fn python_recursion_through_c_is_contained() {
    // __repr__ recursing through the C implementation of repr(): C stack, not frames.
    let code = "import sys\nsys.setrecursionlimit(10**6)\nclass A:\n    def __repr__(self):\n        return repr(A())\nrepr(A())";
    assert_recursion_is_contained(&Python, code, &["RecursionError", "MemoryError"]);
}

#[test]
fn js_recursion_in_json_of_deeply_nested_data_is_contained() {
    let code = "let a = []; for (let i = 0; i < 200000; i++) a = [a]; JSON.stringify(a)";
    assert_recursion_is_contained(&JavaScript, code, &["RangeError", "InternalError"]);
}
