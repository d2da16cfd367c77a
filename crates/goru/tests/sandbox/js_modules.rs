//! JavaScript ES modules: `JavaScriptFile::module` (a `.mjs` name), imports
//! of goru's API and QuickJS's modules by bare name, top-level await, and
//! relative imports inside a read-only directory.

use goru::{JavaScriptFile, Language};

use crate::common::{executor, opts, run_ok, succeeded};

fn module(code: &str) -> String {
    run_ok(&JavaScriptFile::from_path("main.mjs"), code, opts())
}

#[test]
fn a_module_imports_goru_std_and_os_and_awaits_at_top_level() {
    let code = "import { call, kv, fs, HostError } from 'goru';\n\
                import * as std from 'std';\n\
                import * as os from 'os';\n\
                import { getenviron } from 'qjs:std';\n\
                const v = await new Promise(resolve => setTimeout(() => resolve(42), 1));\n\
                console.log(typeof call, typeof kv.get, typeof fs.readText, typeof HostError, typeof std.exit, typeof os.open, typeof getenviron, v);\n\
                export const x = 1;";
    assert_eq!(
        module(code),
        "function function function function function function function 42\n"
    );
}

#[test]
fn modules_are_strict_and_scripts_are_not() {
    assert_eq!(module("console.log(this === undefined)"), "true\n");
    assert_eq!(
        run_ok(
            &JavaScriptFile::script("s.js"),
            "console.log(this === globalThis)",
            opts()
        ),
        "true\n"
    );
    assert!(!JavaScriptFile::from_path("a.js").is_module());
    assert!(JavaScriptFile::script("a.mjs").into_module().is_module());
    assert_eq!(JavaScriptFile::from_path("a.mjs").name(), "js");
}

#[test]
fn errors_in_modules_are_reported_with_the_module_s_name() {
    let main = JavaScriptFile::from_path("app.mjs");
    for code in [
        "await null;\nfunction f() { throw new Error('late') }\nf()",
        "import { nope } from 'goru';",
    ] {
        let result = executor().run_blocking(&main, code, opts()).unwrap();
        assert_eq!(result.exit_code, 1, "{code}");
        let exception = result.exception.clone().expect("an exception");
        if code.starts_with("await") {
            assert_eq!(exception.kind, "Error");
            assert_eq!(exception.traceback, "    at f (app.mjs:2:26)\n    at app.mjs:3:1");
            assert!(
                result
                    .stderr_lossy()
                    .starts_with("Error: late\n    at f (app.mjs:2:26)")
            );
        } else {
            assert_eq!(exception.kind, "SyntaxError", "{exception:?}");
        }
    }
}

#[test]
fn relative_imports_work_inside_a_read_only_dir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    std::fs::write(
        dir.path().join("lib/a.mjs"),
        "export { b } from './b.mjs';\nexport const a = 'a';\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lib/b.mjs"),
        "import { a } from './a.mjs';\nexport const b = () => a + 'b';\n",
    )
    .unwrap();
    let code = "import { a, b } from '/modules/lib/a.mjs';\nconsole.log(a, b());\n\
                const again = await import('/modules/lib/b.mjs'); console.log(again.b());\n\
                try { await import('/modules/lib/missing.mjs') } catch (e) { console.log(e.name) }";
    let result = executor().run_blocking(
        &JavaScriptFile::module("main.mjs"),
        code,
        opts().read_only_dir("/modules", dir.path()),
    );
    assert_eq!(succeeded(code, result), "a ab\nab\nReferenceError\n");
}

#[test]
fn an_import_cycle_and_a_self_import_end() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("self.mjs"),
        "import * as me from '/m/self.mjs';\nexport const n = 1;\nconsole.log('self', typeof me);\n",
    )
    .unwrap();
    let code = "import '/m/self.mjs';\nconst again = await import('/m/self.mjs');\nconsole.log(again.n);";
    let result = executor().run_blocking(
        &JavaScriptFile::module("main.mjs"),
        code,
        opts().read_only_dir("/m", dir.path()),
    );
    assert_eq!(succeeded(code, result), "self object\n1\n");
}
