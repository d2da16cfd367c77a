//! JavaScript's node-like globals: timers, queueMicrotask, structuredClone,
//! TextEncoder/TextDecoder, atob/btoa.

use crate::common::js;

#[test]
fn timers_run_in_node_order_with_their_arguments() {
    let code = "const later = () => setTimeout((a, b) => console.log('timeout', a, b), 5, 'x', 'y');\n\
                setImmediate(() => console.log('immediate'));\n\
                queueMicrotask(() => console.log('microtask'));\n\
                Promise.resolve().then(() => console.log('promise'));\n\
                const cleared = setTimeout(() => console.log('never'), 1); clearTimeout(cleared);\n\
                let n = 0; const i = setInterval(() => { n++; if (n === 3) { clearInterval(i); console.log('interval', n); later() } }, 1);\n\
                console.log('sync', typeof cleared, Number(cleared) > 0)";
    assert_eq!(
        js(code),
        "sync object true\nmicrotask\npromise\nimmediate\ninterval 3\ntimeout x y\n"
    );
}

#[test]
fn clearing_by_number_and_bad_arguments_behave_as_in_node() {
    assert_eq!(
        js(
            "const t = setTimeout(() => console.log('no'), 1); clearTimeout(+t); clearTimeout(undefined); clearInterval(null);\n\
            try { setTimeout('code') } catch (e) { console.log(e.name) }"
        ),
        "TypeError\n"
    );
}

#[test]
fn structured_clone_copies_deeply_and_refuses_functions() {
    let code = "const m = new Map([[1, {d: new Date(0)}]]); const o = {a: [1, {b: 2}], m, s: new Set([1]), u: new Uint8Array([5])}; o.self = o;\n\
                const c = structuredClone(o);\n\
                console.log(c !== o, c.self === c, c.a[1] !== o.a[1], c.m.get(1).d instanceof Date, c.m.get(1).d.getTime(), c.s.has(1), c.u[0]);\n\
                try { structuredClone({f() {}}) } catch (e) { console.log(e.name, e instanceof DOMException) }";
    assert_eq!(js(code), "true true true true 0 true 5\nDataCloneError true\n");
}

#[test]
fn text_encoder_and_decoder_speak_utf8() {
    let code = "const bytes = new TextEncoder().encode('h\u{e9}\u{20ac}\u{1f600}');\n\
                console.log(Array.from(bytes).join(','));\n\
                console.log(new TextDecoder().decode(bytes), new TextDecoder().decode(new Uint8Array([0xff, 0x41])));\n\
                try { new TextDecoder('utf-8', {fatal: true}).decode(new Uint8Array([0xc3])) } catch (e) { console.log(e.name) }\n\
                const d = new TextDecoder(); console.log(d.decode(bytes.subarray(0, 2), {stream: true}) + d.decode(bytes.subarray(2)));\n\
                const into = new Uint8Array(2); console.log(JSON.stringify(new TextEncoder().encodeInto('a\u{e9}', into)));";
    assert_eq!(
        js(code),
        "104,195,169,226,130,172,240,159,152,128\nh\u{e9}\u{20ac}\u{1f600} \u{fffd}A\nTypeError\nh\u{e9}\u{20ac}\u{1f600}\n{\"read\":1,\"written\":1}\n"
    );
}

#[test]
fn atob_and_btoa_are_base64() {
    assert_eq!(
        js(
            "console.log(btoa('hello'), btoa(''), btoa('\\xff\\x00'), atob('aGVsbG8='), atob(' aGk '), atob('aGk'));\n\
            for (const bad of [() => btoa('\u{20ac}'), () => atob('a')]) try { bad() } catch (e) { console.log(e.name) }"
        ),
        "aGVsbG8=  /wA= hello hi hi\nInvalidCharacterError\nInvalidCharacterError\n"
    );
}
