//! zt's pg_service.conf and pgpass editors against libpq itself (issue 11, item 12), on
//! generated files: libpq 15 (the machine's `libpq.so.5`, the library psql uses) is asked
//! through Python's ctypes what each service resolves to (`PQconnectStartParams` with
//! `service`, then `PQconninfo`)
//! and which password a connection would take from a pgpass file (`PQconnectStartParams`,
//! then `PQpass`; the lookup happens before any connection). One Python process answers a
//! whole batch. Runs where the PostgreSQL peer is installed (`ZT_TEST_PG_BIN`).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use zt::materialize::ini::{self, Dialect, IniSection};
use zt::materialize::kubeyaml::Wiped;
use zt::materialize::pgpass;

use crate::common::peer;
use crate::consumer_parsers::generate;

const LIBPQ: &str = r#"
import ctypes, json, os, re, sys, tempfile
lib = ctypes.CDLL("libpq.so.5")
class Opt(ctypes.Structure):
    _fields_ = [("keyword", ctypes.c_char_p), ("envvar", ctypes.c_char_p),
                ("compiled", ctypes.c_char_p), ("val", ctypes.c_char_p),
                ("label", ctypes.c_char_p), ("dispchar", ctypes.c_char_p), ("dispsize", ctypes.c_int)]
lib.PQconndefaults.restype = ctypes.POINTER(Opt)
lib.PQconnectStartParams.restype = ctypes.c_void_p
lib.PQconnectStartParams.argtypes = [ctypes.POINTER(ctypes.c_char_p)] * 2 + [ctypes.c_int]
lib.PQpass.restype = ctypes.c_char_p
lib.PQpass.argtypes = [ctypes.c_void_p]
lib.PQfinish.argtypes = [ctypes.c_void_p]
d = tempfile.mkdtemp()
os.environ.clear()
os.environ.update({"HOME": d, "PGSYSCONFDIR": os.path.join(d, "none")})

lib.PQconninfo.restype = ctypes.POINTER(Opt)
lib.PQconninfo.argtypes = [ctypes.c_void_p]
lib.PQconninfoFree.argtypes = [ctypes.POINTER(Opt)]
lib.PQerrorMessage.restype = ctypes.c_char_p
lib.PQerrorMessage.argtypes = [ctypes.c_void_p]

def resolve(service):
    # hostaddr given, so no name is ever looked up; libpq reads the service file while it
    # builds the options, before any connection.
    keys = [b"hostaddr", b"sslmode", b"gssencmode", b"service", None]
    vals = [b"127.0.0.1", b"disable", b"disable", service.encode() if service is not None else None, None]
    if service is None:
        keys, vals = keys[:3] + [None], vals[:3] + [None]
    n = len(keys)
    conn = lib.PQconnectStartParams((ctypes.c_char_p * n)(*keys), (ctypes.c_char_p * n)(*vals), 0)
    err = (lib.PQerrorMessage(conn) or b"").decode("utf-8", "replace")
    out = None
    if "service" not in err:
        out, p, i = {}, lib.PQconninfo(conn), 0
        while p[i].keyword:
            if p[i].val is not None:
                out[p[i].keyword.decode()] = p[i].val.decode("utf-8", "replace")
            i += 1
        lib.PQconninfoFree(p)
    lib.PQfinish(conn)
    return out

def services(text):
    path = os.path.join(d, "pg_service.conf")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.environ["PGSERVICEFILE"] = path
    base = resolve(None)
    names = []
    for line in text.split("\n"):
        t = line.strip(" \t\v\f\r")
        if t.startswith("["):
            names.append(t[1:].split("]", 1)[0])
    out = {}
    for n in names:
        got = resolve(n)
        if got is None:
            return None
        got.pop("service", None)
        got.pop("passfile", None)
        out[n] = {"values": got, "set": sorted(k for k, v in got.items() if base.get(k) != v)}
    return out

def password(text, q):
    path = os.path.join(d, "pgpass")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.chmod(path, 0o600)
    keys = [b"host", b"hostaddr", b"port", b"dbname", b"user", b"passfile", b"sslmode", b"gssencmode", None]
    vals = [q[0].encode(), b"127.0.0.1", q[1].encode(), q[2].encode(), q[3].encode(), path.encode(), b"disable", b"disable", None]
    conn = lib.PQconnectStartParams((ctypes.c_char_p * 9)(*keys), (ctypes.c_char_p * 9)(*vals), 0)
    pw = lib.PQpass(conn)
    lib.PQfinish(conn)
    return (pw or b"").decode("utf-8", "replace")

req = json.load(sys.stdin)
if req["kind"] == "service":
    json.dump([services(t) for t in req["texts"]], sys.stdout)
else:
    json.dump([[password(t, q) for q in req["queries"]] for t in req["texts"]], sys.stdout)
"#;

fn libpq(python: &str, request: serde_json::Value) -> serde_json::Value {
    let mut child = Command::new(python)
        .args(["-c", LIBPQ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    let input = serde_json::to_vec(&request).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the libpq oracle failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Python with ctypes and the machine's libpq: the peers' venv when installed, else the
/// system's python3. None (the test skips) without the PostgreSQL peer.
fn python() -> Option<String> {
    peer("ZT_TEST_PG_BIN")?;
    Some(match std::env::var("ZT_TEST_AWS") {
        Ok(aws) if !aws.is_empty() => std::path::Path::new(&aws)
            .with_file_name("python3")
            .display()
            .to_string(),
        _ => "python3".into(),
    })
}

fn service_line() -> impl Strategy<Value = String> {
    let ws = "[ \t\u{b}\u{c}]{0,2}";
    prop_oneof![
        2 => (ws, "[a-c]{1,2}", prop_oneof![Just(""), Just(" # mine"), Just("x")])
            .prop_map(|(w, n, t)| format!("{w}[{n}]{t}")),
        6 => (ws, prop_oneof![Just("host"), Just("port"), Just("dbname"), Just("user"),
                Just("application_name"), Just("hots")],
              "[ ]?", "[ -~]{0,6}", ws)
            .prop_map(|(a, k, sp, v, b)| format!("{a}{k}{sp}={v}{b}")),
        2 => (ws, "#[ -~]{0,6}").prop_map(|(w, c)| format!("{w}{c}")),
        2 => Just(String::new()),
        1 => "[a-z =]{1,4}",
    ]
}

fn service_file() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(service_line(), 0..10),
        prop_oneof![Just("\n"), Just("\r\n")],
    )
        .prop_map(|(lines, eol)| {
            let mut t = lines.join(eol);
            if !t.is_empty() {
                t.push_str(eol);
            }
            t
        })
}

/// What libpq takes from a section zt read: the first value of each key.
fn first_wins(entries: &[(String, String)]) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for (k, v) in entries {
        m.entry(k.clone()).or_insert_with(|| v.clone());
    }
    m
}

#[test]
fn pg_service_files_libpq_reads_are_read_and_edited_alike() {
    let Some(python) = python() else {
        return;
    };
    let texts = generate(service_file(), 300, 21);
    let theirs = libpq(
        &python,
        serde_json::json!({"kind": "service", "texts": texts}),
    );
    let entries: Vec<(String, String)> = [
        ("host", "127.0.0.1"),
        ("port", "6543"),
        ("dbname", "app"),
        ("user", "zt_alice"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec();
    let section = IniSection {
        header: "zt-gen",
        entries: &entries,
        grant_id: "g1",
        expires_at: "2026-05-01T12:00:00Z",
    };
    let mut edited = Vec::new();
    for (text, theirs) in texts.iter().zip(theirs.as_array().unwrap()) {
        let Some(theirs) = theirs.as_object() else {
            continue;
        };
        let ours = ini::read(text, Dialect::PgService)
            .unwrap_or_else(|e| panic!("libpq reads {text:?}, zt refuses it: {e}"));
        for (name, keys) in theirs {
            let (_, e) = ours
                .iter()
                .find(|(h, _)| h == name)
                .unwrap_or_else(|| panic!("zt misses [{name}] in {text:?}"));
            let ours = first_wins(e);
            // An empty value is no setting to libpq: its default applies.
            for (k, v) in ours.iter().filter(|(_, v)| !v.is_empty()) {
                assert_eq!(
                    keys["values"][k], *v,
                    "[{name}] {k} read differently in {text:?}"
                );
            }
            for k in keys["set"].as_array().unwrap() {
                let k = k.as_str().unwrap();
                // libpq's dbname defaults to the user name, so a service's user moves it too.
                let derived = k == "dbname" && keys["values"]["dbname"] == keys["values"]["user"];
                assert!(
                    ours.contains_key(k) || derived,
                    "zt misses {k} of [{name}] in {text:?}"
                );
            }
        }
        let (out, undo) = ini::apply(text, &section, Dialect::PgService)
            .unwrap_or_else(|e| panic!("zt cannot add its service to {text:?}: {e}"));
        let back = ini::wipe(&out, section.header, &undo, Dialect::PgService).unwrap();
        let want = match undo.created {
            true => Wiped::RemoveFile,
            false => Wiped::Text(text.clone()),
        };
        assert_eq!(back, want, "the wipe gives back {text:?}");
        edited.push((text.clone(), out, theirs.clone()));
    }
    let outs: Vec<&String> = edited.iter().map(|(_, o, _)| o).collect();
    let after = libpq(
        &python,
        serde_json::json!({"kind": "service", "texts": outs}),
    );
    for ((text, out, before), after) in edited.iter().zip(after.as_array().unwrap()) {
        let mut after = after
            .as_object()
            .unwrap_or_else(|| panic!("libpq refuses zt's edit of {text:?}:\n{out}"))
            .clone();
        let zt = after.remove("zt-gen").expect("libpq finds zt's service");
        for (k, v) in &entries {
            assert_eq!(
                zt["values"][k], *v,
                "zt's service as libpq reads it:\n{out}"
            );
        }
        assert_eq!(
            &after, before,
            "libpq reads zt's edit of {text:?} differently:\n{out}"
        );
    }
    eprintln!(
        "{} generated service files: libpq resolved every service of {}; zt read, edited and \
         wiped all of them alike",
        texts.len(),
        edited.len()
    );
    assert!(
        edited.len() >= 60,
        "too few files libpq reads: {}",
        edited.len()
    );
}

/// A pgpass field from a small alphabet, so that lines match the queries often: wildcards,
/// escaped and bare colons and backslashes included.
fn pgpass_field() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ab]{1,2}",
        4 => Just("*".to_string()),
        2 => Just("5432".to_string()),
        1 => Just("b\\:".to_string()),
        1 => "[ab\\\\:*]{0,3}",
    ]
}

fn pgpass_line() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => proptest::collection::vec(pgpass_field(), 4..7).prop_map(|f| f.join(":")),
        1 => "#[ -~]{0,6}",
        1 => " #[a-z:]{0,6}",
        1 => Just(String::new()),
    ]
}

fn pgpass_file() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(pgpass_line(), 0..8),
        prop_oneof![Just("\n"), Just("\r\n")],
        proptest::bool::weighted(0.9),
    )
        .prop_map(|(lines, eol, last)| {
            let mut t = lines.join(eol);
            if last && !t.is_empty() {
                t.push_str(eol);
            }
            t
        })
}

#[test]
fn pgpass_files_give_zt_and_libpq_the_same_passwords() {
    let Some(python) = python() else {
        return;
    };
    let texts = generate(pgpass_file(), 150, 31);
    let mut queries = Vec::new();
    for host in ["a", "b"] {
        for port in ["5432", "1"] {
            for db in ["a", "ab"] {
                for user in ["a", "b:"] {
                    queries.push([host, port, db, user]);
                }
            }
        }
    }
    let zt_query = ["db.example.com", "6543", "app", "zt_alice"];
    let with_zt: Vec<[&str; 4]> = queries.iter().copied().chain([zt_query]).collect();
    let entry = pgpass::PgpassEntry {
        host: zt_query[0],
        port: 6543,
        database: zt_query[2],
        user: zt_query[3],
        password: "s3cr:t\\pw",
        grant_id: "g1",
        expires_at: "2026-05-01T12:00:00Z",
    };
    let edits: Vec<(String, pgpass::PgpassUndo)> = texts
        .iter()
        .map(|t| pgpass::apply(t, &entry).unwrap_or_else(|e| panic!("zt cannot edit {t:?}: {e}")))
        .collect();
    let all: Vec<&String> = texts.iter().chain(edits.iter().map(|(o, _)| o)).collect();
    let theirs = libpq(
        &python,
        serde_json::json!({"kind": "pgpass", "texts": all, "queries": with_zt}),
    );
    let theirs = theirs.as_array().unwrap();
    let (mut matched, n) = (0, texts.len());
    for (i, text) in texts.iter().enumerate() {
        for (q, want) in with_zt.iter().zip(theirs[i].as_array().unwrap()) {
            let got = pgpass::lookup(text, q[0], q[1], q[2], q[3]).unwrap_or_default();
            assert_eq!(got, want.as_str().unwrap(), "{q:?} in {text:?}");
            matched += usize::from(!got.is_empty());
        }
        // zt's edit: its own line wins for its connection, every other answer is libpq's as
        // before, and the wipe gives back every byte.
        let (out, undo) = &edits[i];
        let after = theirs[n + i].as_array().unwrap();
        assert_eq!(
            after.last().unwrap(),
            entry.password,
            "zt's password in {out:?}"
        );
        assert_eq!(
            &after[..after.len() - 1],
            &theirs[i].as_array().unwrap()[..queries.len()]
        );
        let back = pgpass::wipe(out, "g1", undo).unwrap();
        let want = match undo.created {
            true => Wiped::RemoveFile,
            false => Wiped::Text(text.clone()),
        };
        assert_eq!(back, want, "the wipe gives back {text:?}");
    }
    eprintln!(
        "{n} generated pgpass files × {} connections: zt's lookup found what libpq found \
         ({matched} passwords); libpq takes zt's password from each edit",
        with_zt.len()
    );
    assert!(matched >= 50, "too few matches: {matched}");
}
