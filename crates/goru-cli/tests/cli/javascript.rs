//! JavaScript from the command line as a node user runs it: node-like
//! console and globals, `.mjs` files and `--module` as ES modules, stack
//! traces naming the file, `<string>` or `<stdin>`.

use super::{goru, goru_piped};

#[test]
fn console_writes_node_formatted_values_to_the_right_streams() {
    let out = goru(&[
        "-l",
        "js",
        "-c",
        "console.log({a: 1}, [1, 'x'], new Map([[1, 2]])); console.error('oops'); setTimeout(() => console.log(btoa('hi')), 1)",
    ]);
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(out.stdout(), "{ a: 1 } [ 1, 'x' ] Map(1) { 1 => 2 }\naGk=\n");
    assert_eq!(out.stderr, "oops\n");
}

#[test]
fn mjs_files_and_module_code_run_as_es_modules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("main.mjs");
    std::fs::write(
        &path,
        "import * as std from 'std';\nimport { kv } from 'goru';\nconst n = await Promise.resolve(2);\nconsole.log(n, typeof kv);\nstd.exit(n + 1);\n",
    )
    .expect("writing the module");
    let out = goru(&[path.to_str().expect("utf-8 temp path")]);
    assert_eq!(
        (out.status, out.stdout()),
        (Some(3), "2 object\n".into()),
        "{out:?}"
    );

    let out = goru(&[
        "-l",
        "js",
        "--module",
        "-c",
        "export const x = await 1; console.log(x)",
    ]);
    assert_eq!((out.status, out.stdout()), (Some(0), "1\n".into()), "{out:?}");
    let out = goru_piped(
        &["-l", "js", "--module"],
        b"import { call } from 'goru'; console.log(typeof call)",
    );
    assert_eq!(
        (out.status, out.stdout()),
        (Some(0), "function\n".into()),
        "{out:?}"
    );
    // A script is not a module.
    let out = goru(&["-l", "js", "-c", "export const x = 1"]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(out.stderr.starts_with("SyntaxError"), "{out:?}");
    // --module is JavaScript's.
    let out = goru(&["--module", "-c", "print(1)"]);
    assert_eq!(out.status, Some(2), "{out:?}");
}

#[test]
fn stack_traces_name_the_file_the_code_or_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.js");
    std::fs::write(&path, "function f() {\n  throw new Error('boom');\n}\nf();\n")
        .expect("writing the script");
    let path = path.to_str().expect("utf-8 temp path");
    let out = goru(&[path]);
    assert_eq!(out.status, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!("Error: boom\n    at f ({path}:2:13)\n    at {path}:4:1\n")
    );
    let out = goru(&["-l", "js", "-c", "null.x"]);
    assert_eq!(
        out.stderr,
        "TypeError: cannot read property 'x' of null\n    at <string>:1:1\n"
    );
    let out = goru_piped(&["-l", "js"], b"\nundefinedName");
    assert_eq!(
        out.stderr,
        "ReferenceError: undefinedName is not defined\n    at <stdin>:2:1\n"
    );
}

#[test]
fn modules_in_a_mounted_directory_import_each_other_relatively() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("b.mjs"), "export const x = 41;\n").expect("b.mjs");
    std::fs::write(
        dir.path().join("a.mjs"),
        "import { x } from \"./b.mjs\";\nconsole.log(x + 1);\n",
    )
    .expect("a.mjs");
    let mount = format!("/m:{}:ro", dir.path().display());
    let out = goru(&[
        "--mount",
        &mount,
        "-l",
        "js",
        "--module",
        "-c",
        "import \"/m/a.mjs\";",
    ]);
    assert_eq!((out.status, out.stdout()), (Some(0), "42\n".into()), "{out:?}");
}
