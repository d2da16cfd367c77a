//! Scale-out behind a real nginx with deploy/nginx/goru.conf: three `goru
//! serve` nodes on loopback, sessions sticking to the node named in their
//! id, and a node killed — its sessions answer a clear 410 while the other
//! nodes' sessions and stateless runs go on. Skipped (with a message) where
//! nginx is not installed; .ci/run installs it.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{PATIENCE, Reply, Server, call};

/// The shipped configuration, as a deployment would include it.
const GORU_CONF: &str = include_str!("../../../../../deploy/nginx/goru.conf");

/// The addresses the shipped file names, and the nodes behind them.
const NODES: [(&str, &str); 3] = [
    ("n1", "127.0.0.1:8081"),
    ("n2", "127.0.0.1:8082"),
    ("n3", "127.0.0.1:8083"),
];
const LISTEN: &str = "listen 127.0.0.1:8080;";

fn nginx_binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

/// nginx on `port` with the shipped file, its addresses replaced by the
/// nodes' real ones; stopped when dropped.
struct Nginx {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(binary: &Path, nodes: &[(&str, String)]) -> Nginx {
        let dir = tempfile::tempdir().expect("a temp dir");
        let port = free_port();
        let mut conf = GORU_CONF.replace(LISTEN, &format!("listen 127.0.0.1:{port};"));
        for ((name, shipped), (node, real)) in NODES.iter().zip(nodes) {
            assert_eq!(name, node);
            conf = conf.replace(shipped, real);
        }
        let prefix = dir.path().display().to_string();
        std::fs::write(dir.path().join("goru.conf"), conf).expect("writing goru.conf");
        // The smallest main file around it: everything in the temp dir.
        let main = format!(
            "worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n\
               fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n  scgi_temp_path {prefix}/scgi;\n\
               include {prefix}/goru.conf;\n}}\n"
        );
        let main_path = dir.path().join("nginx.conf");
        std::fs::write(&main_path, main).expect("writing nginx.conf");
        let child = Command::new(binary)
            .args(["-p", &prefix, "-e", &format!("{prefix}/error.log"), "-c"])
            .arg(&main_path)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting nginx");
        let nginx = Nginx {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + PATIENCE;
        while !nginx.answers() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                nginx.error_log()
            );
            thread::sleep(Duration::from_millis(50));
        }
        nginx
    }

    fn answers(&self) -> bool {
        ureq::get(&format!("{}/health", self.base))
            .timeout(Duration::from_secs(2))
            .call()
            .is_ok()
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("error.log")).unwrap_or_default()
    }

    fn post(&self, path: &str, body: serde_json::Value) -> Reply {
        call(
            &format!("{}{path}", self.base),
            "POST",
            &[],
            Some(body.to_string().as_bytes()),
        )
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

#[test]
fn sessions_stick_to_their_node_behind_nginx_and_a_lost_node_answers_410() {
    let Some(binary) = nginx_binary() else {
        eprintln!("SKIPPED: nginx is not installed (apt-get install nginx; .ci/run does)");
        return;
    };
    let mut servers: HashMap<&str, Server> = NODES
        .iter()
        .map(|(name, _)| (*name, Server::start(&["--node-id", name])))
        .collect();
    let addresses: Vec<(&str, String)> = NODES
        .iter()
        .map(|(name, _)| (*name, servers[name].base.trim_start_matches("http://").to_owned()))
        .collect();
    let nginx = Nginx::start(&binary, &addresses);

    // New sessions are spread over the nodes (least_conn); make sure each
    // node holds at least one.
    let mut sessions: HashMap<String, Vec<String>> = HashMap::new();
    for _ in 0..30 {
        let created = nginx.post("/sessions", json!({}));
        assert_eq!(created.status, 201, "{created:?}");
        let id = created.body["session_id"].as_str().expect("an id").to_owned();
        let node = id.split_once('.').expect("NODE.HEX").0.to_owned();
        sessions.entry(node).or_default().push(id);
        if sessions.len() == NODES.len() {
            break;
        }
    }
    assert_eq!(
        sessions.len(),
        NODES.len(),
        "every node got a session: {sessions:?}"
    );

    // Each session keeps its state across requests through nginx: every
    // request reached the node that holds it.
    for id in sessions.values().flatten() {
        let set = nginx.post(
            &format!("/sessions/{id}/exec"),
            json!({"code": format!("me = {id:?}")}),
        );
        assert_eq!(set.status, 200, "{set:?}");
        for _ in 0..3 {
            let got = nginx.post(&format!("/sessions/{id}/exec"), json!({"code": "print(me)"}));
            assert_eq!(got.stdout(), format!("{id}\n"), "{got:?}");
        }
    }

    // n2 goes away; its sessions go with it.
    let mut lost = servers.remove("n2").expect("n2");
    lost.child.kill().expect("killing n2");
    lost.child.wait().expect("reaping n2");
    for id in &sessions["n2"] {
        let gone = nginx.post(&format!("/sessions/{id}/exec"), json!({"code": "print(me)"}));
        assert_eq!(
            (gone.status, gone.error_code()),
            (410, Some("session_ended")),
            "{gone:?}"
        );
        let message = gone.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("node"), "a clear reason: {gone:?}");
    }
    // The other nodes' sessions and stateless runs go on.
    for node in ["n1", "n3"] {
        for id in &sessions[node] {
            let got = nginx.post(&format!("/sessions/{id}/exec"), json!({"code": "print(me)"}));
            assert_eq!(got.stdout(), format!("{id}\n"), "{got:?}");
        }
    }
    for i in 0..6 {
        let run = nginx.post("/execute", json!({"code": format!("print({i} * 2)")}));
        assert_eq!(
            (run.status, run.stdout()),
            (200, format!("{}\n", i * 2).as_str()),
            "{run:?}"
        );
    }
    let created = nginx.post("/sessions", json!({}));
    assert_eq!(
        created.status, 201,
        "new sessions go to the living nodes: {created:?}"
    );
    let id = created.body["session_id"].as_str().unwrap_or_default();
    assert!(!id.starts_with("n2."), "{id}");
}
