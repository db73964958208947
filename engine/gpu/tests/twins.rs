//! Twins are checked, not claimed. Every Rust comment that names a twin in WGSL
//! (`numerics/riemann.wgsl::hllc`, paths under `shaders/`) names a file and a declaration that
//! exist, and the WGSL side names that Rust file back; every WGSL function and struct has a
//! header comment naming its Rust twin ("Rust twin:" then
//! `engine/core/src/numerics/riemann.rs::hllc`, paths from the workspace root, found by reading
//! the Rust source) or saying `GPU only`. The pointwise files are twins of the same names in
//! the mirrored Rust file, both ways. No adapter is needed: this reads text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use basintwin_gpu::shaders;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file of the workspace's crates: (path from the root, text).
fn rust_files() -> Vec<(String, String)> {
    let root = root();
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = ["engine", "benches", "examples", "viewer"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    dirs.push(p);
                }
            } else if name.ends_with(".rs") {
                // Files being replaced while the test runs are skipped, not failed.
                if let Ok(text) = std::fs::read_to_string(&p) {
                    let rel = p
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.push((rel, text));
                }
            }
        }
    }
    out.sort();
    assert!(out.len() > 20, "found only {} Rust files", out.len());
    out
}

/// The comment blocks of a source (`//`, `///`, `//!`): (first line number, text joined with
/// spaces). A blank comment line ends a block.
fn comment_blocks(src: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (k, line) in src.lines().enumerate() {
        let t = line.trim_start();
        let body = t
            .strip_prefix("//!")
            .or_else(|| t.strip_prefix("///"))
            .or_else(|| t.strip_prefix("//"))
            .map(str::trim);
        match body {
            Some(b) if !b.is_empty() => {
                let c = cur.get_or_insert_with(|| (k + 1, String::new()));
                c.1.push(' ');
                c.1.push_str(b);
            }
            _ => {
                if let Some(c) = cur.take() {
                    out.push(c);
                }
            }
        }
    }
    out.extend(cur);
    out
}

/// The spans between backticks of a text.
fn code_spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// `numerics/riemann.wgsl::hllc` (or `shaders/...`, or a file alone) as (file, item).
fn wgsl_ref(span: &str) -> Option<(String, Option<String>)> {
    let (file, item) = match span.split_once("::") {
        Some((f, i)) => (f, Some(i)),
        None => (span, None),
    };
    let file = file.strip_prefix("shaders/").unwrap_or(file);
    let stem = file.strip_suffix(".wgsl")?;
    if stem.is_empty() || !stem.split('/').all(is_ident) {
        return None;
    }
    if item.is_some_and(|i| !is_ident(i)) {
        return None;
    }
    Some((file.to_string(), item.map(str::to_string)))
}

/// `engine/core/src/numerics/riemann.rs::hllc` as (file, [items]).
fn rust_ref(span: &str) -> Option<(String, Vec<String>)> {
    let (file, rest) = match span.find(".rs") {
        Some(k) => (&span[..k + 3], &span[k + 3..]),
        None => return None,
    };
    if !file.contains('/') {
        return None;
    }
    let items: Vec<String> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.strip_prefix("::")?
            .split("::")
            .map(str::to_string)
            .collect()
    };
    if !items.iter().all(|i| is_ident(i)) {
        return None;
    }
    Some((file.to_string(), items))
}

/// Whether WGSL source `src` declares `name` at module scope (fn, struct, const, binding).
fn wgsl_declares(src: &str, name: &str) -> bool {
    src.lines().any(|l| {
        let l = l.trim_start();
        for kw in ["fn ", "struct ", "const ", "override ", "alias "] {
            if let Some(rest) = l.strip_prefix(kw) {
                let id: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if id == name {
                    return true;
                }
            }
        }
        // `@group(0) @binding(2) var<storage, read_write> h: array<f32>;`
        l.contains(" var") && l.contains(&format!("> {name}:"))
    })
}

fn word_at(text: &str, k: usize, len: usize) -> bool {
    let before = text[..k].chars().last();
    let after = text[k + len..].chars().next();
    let w = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    !w(before) && !w(after)
}

/// Whether `text` contains `prefix name` with `name` a whole word.
fn has_decl(text: &str, prefix: &str, name: &str) -> bool {
    let pat = format!("{prefix}{name}");
    text.match_indices(&pat)
        .any(|(k, _)| word_at(text, k + prefix.len(), name.len()))
}

/// Whether Rust source `src` has the item path `items`: `Type::method` (a `fn` in a file with
/// `Type`'s definition or an `impl` of it), or a free `fn`, struct, enum, const or static.
fn rust_declares(src: &str, items: &[String]) -> Result<(), String> {
    let Some((last, types)) = items.split_last() else {
        return Ok(());
    };
    for t in types {
        let ok = ["struct ", "enum ", "trait ", "impl ", "for "]
            .iter()
            .any(|p| has_decl(src, p, t))
            || src.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("impl")
                    && l.match_indices(t.as_str())
                        .any(|(k, _)| word_at(l, k, t.len()))
            });
        if !ok {
            return Err(format!("no type {t}"));
        }
    }
    // A method is a `fn`; a free item may also be a type or a constant.
    let kinds: &[&str] = if types.is_empty() {
        &["fn ", "struct ", "enum ", "const ", "static "]
    } else {
        &["fn "]
    };
    let ok = kinds.iter().any(|p| has_decl(src, p, last));
    if ok {
        Ok(())
    } else {
        Err(format!("no fn {last}"))
    }
}

/// A WGSL declaration and the comment right above it (above its attributes).
struct Decl {
    file: &'static str,
    line: usize,
    kind: &'static str,
    name: String,
    header: String,
}

/// Every module-scope `fn` and `struct` of every shader file, with its header comment.
fn wgsl_decls() -> Vec<Decl> {
    let mut out = Vec::new();
    for (file, src) in shaders::files() {
        let lines: Vec<&str> = src.lines().collect();
        for (k, l) in lines.iter().enumerate() {
            let (kind, rest) = if let Some(r) = l.strip_prefix("fn ") {
                ("fn", r)
            } else if let Some(r) = l.strip_prefix("struct ") {
                ("struct", r)
            } else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let mut j = k;
            while j > 0 && lines[j - 1].starts_with('@') {
                j -= 1;
            }
            let mut header = Vec::new();
            while j > 0 && lines[j - 1].starts_with("//") {
                j -= 1;
                header.push(lines[j].trim_start_matches('/').trim());
            }
            header.reverse();
            out.push(Decl {
                file,
                line: k + 1,
                kind,
                name,
                header: header.join(" "),
            });
        }
    }
    out
}

/// The Rust references after "Rust twin" in a WGSL comment.
fn rust_twins_in(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (k, _) in text.match_indices("Rust twin") {
        for span in code_spans(&text[k..]) {
            if let Some(r) = rust_ref(span) {
                out.push(r);
            }
        }
    }
    out
}

/// Rust -> WGSL: every `.wgsl` file and declaration a Rust comment names exists; a comment that
/// claims a twin in WGSL names one; and the WGSL declaration it names, if a function or struct,
/// names that Rust file back as its twin.
#[test]
fn rust_comments_name_wgsl_that_exists() {
    let files: BTreeMap<&str, &str> = shaders::files().into_iter().collect();
    let decls = wgsl_decls();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, text) in rust_files() {
        for (line, block) in comment_blocks(&text) {
            let at = format!("{path}:{line}");
            for (k, _) in block.match_indices("WGSL twin") {
                if !code_spans(&block[k..])
                    .iter()
                    .any(|s| wgsl_ref(s).is_some())
                {
                    problems.push(format!("{at}: says \"WGSL twin\" but names no .wgsl file"));
                }
            }
            let claims_twin = block.contains("WGSL twin");
            for span in code_spans(&block) {
                let Some((file, item)) = wgsl_ref(span) else {
                    continue;
                };
                checked += 1;
                let Some(src) = files.get(file.as_str()) else {
                    problems.push(format!("{at}: `{span}`: no shaders/{file}"));
                    continue;
                };
                let Some(item) = item else {
                    continue;
                };
                if !wgsl_declares(src, &item) {
                    problems.push(format!("{at}: `{span}`: {file} declares no {item}"));
                    continue;
                }
                if !claims_twin {
                    continue;
                }
                if let Some(d) = decls.iter().find(|d| d.file == file && d.name == item) {
                    let back = rust_twins_in(&d.header);
                    if !back.iter().any(|(f, _)| *f == path) {
                        problems.push(format!(
                            "{at}: `{span}` is named as the twin, but its header names \
                             {:?}, not {path}",
                            back.iter().map(|b| &b.0).collect::<Vec<_>>()
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        checked > 30,
        "only {checked} references found: is the parser broken?"
    );
}

/// WGSL -> Rust: every function and struct of every shader file (entry points included) has a
/// header naming a Rust twin that exists, or saying `GPU only`; every file's header names the
/// Rust file(s) it mirrors.
#[test]
fn wgsl_functions_name_rust_twins_that_exist() {
    let root = root();
    let mut cache: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut read = |file: &str| {
        cache
            .entry(file.to_string())
            .or_insert_with(|| std::fs::read_to_string(root.join(file)).ok())
            .clone()
    };
    let mut problems = Vec::new();
    let mut resolved = 0;
    for (file, src) in shaders::files() {
        let header = comment_blocks(src)
            .first()
            .map(|b| b.1.clone())
            .unwrap_or_default();
        let mirrors = rust_twins_in(&header);
        if mirrors.is_empty() {
            problems.push(format!("{file}: the file's header names no Rust twin"));
        }
        for (rs, _) in &mirrors {
            if read(rs).is_none() {
                problems.push(format!("{file}: header names {rs}, which does not exist"));
            }
        }
    }
    for d in wgsl_decls() {
        let at = format!("{}:{} {} {}", d.file, d.line, d.kind, d.name);
        let twins = rust_twins_in(&d.header);
        if twins.is_empty() {
            if !d.header.contains("GPU only") {
                problems.push(format!(
                    "{at}: its header names no Rust twin (\"Rust twin: `path.rs::item`\") \
                     and does not say `GPU only`: {:?}",
                    d.header
                ));
            }
            continue;
        }
        for (rs, items) in twins {
            let Some(text) = read(&rs) else {
                problems.push(format!("{at}: Rust twin {rs} does not exist"));
                continue;
            };
            if let Err(e) = rust_declares(&text, &items) {
                problems.push(format!("{at}: Rust twin {rs}::{}: {e}", items.join("::")));
                continue;
            }
            resolved += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(resolved > 50, "only {resolved} Rust twins resolved");
}

/// The pointwise files mirror `basintwin-core`: `numerics/<module>.wgsl` <->
/// `engine/core/src/numerics/<module>.rs` (`maxima.wgsl` <-> `maxima.rs`). Each function there
/// is the twin of the Rust function of the same name in the mirrored file (or `GPU only`), and
/// that Rust function's doc names it back.
#[test]
fn pointwise_twins_have_the_same_names_both_ways() {
    let root = root();
    let mut problems = Vec::new();
    let mut pairs = 0;
    let pointwise: Vec<&str> = shaders::NUMERICS.iter().map(|f| f.0).collect();
    for d in wgsl_decls().iter().filter(|d| pointwise.contains(&d.file)) {
        let at = format!("{}:{} fn {}", d.file, d.line, d.name);
        let mirror = format!("engine/core/src/{}", d.file.replace(".wgsl", ".rs"));
        let twins = rust_twins_in(&d.header);
        if twins.is_empty() {
            if !d.header.contains("GPU only") {
                problems.push(format!("{at}: no Rust twin"));
            }
            continue;
        }
        for (rs, items) in twins {
            if rs != mirror || items.last() != Some(&d.name) {
                problems.push(format!(
                    "{at}: twin {rs}::{} is not {mirror}::{}",
                    items.join("::"),
                    d.name
                ));
                continue;
            }
            let text = std::fs::read_to_string(root.join(&rs)).unwrap_or_default();
            let back = format!("{}::{}", d.file, d.name);
            if !comment_blocks(&text)
                .iter()
                .any(|(_, b)| code_spans(b).contains(&back.as_str()))
            {
                problems.push(format!("{at}: {rs} never names `{back}` as its WGSL twin"));
            }
            pairs += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(pairs >= 20, "only {pairs} pointwise twins");
}

/// The checker itself: stale references of the kinds the issue found are caught.
#[test]
fn the_checker_catches_stale_references() {
    let files: BTreeMap<&str, &str> = shaders::files().into_iter().collect();
    for stale in [
        "riemann.wgsl::hllc",
        "fv1.wgsl::face_flux_fv1",
        "infiltration.wgsl::potential_loss",
        "numerics/riemann.wgsl::hllc_x",
    ] {
        let (file, item) = wgsl_ref(stale).unwrap();
        let found = files
            .get(file.as_str())
            .is_some_and(|src| wgsl_declares(src, item.as_deref().unwrap_or("")));
        assert!(!found, "{stale} resolved");
    }
    let core = std::fs::read_to_string(root().join("engine/core/src/numerics/riemann.rs")).unwrap();
    assert!(rust_declares(&core, &["hllc".into()]).is_ok());
    assert!(rust_declares(&core, &["hll".into()]).is_err());
    let cpu = std::fs::read_to_string(root().join("engine/core/src/cpu/view.rs")).unwrap();
    assert!(rust_declares(&cpu, &["View".into(), "ghost_kind".into()]).is_ok());
    assert!(rust_declares(&cpu, &["Viewer".into(), "ghost_kind".into()]).is_err());
    // A module of the same name is not a method.
    let with_mod = "mod step;\nimpl<R> CpuBackend<R> {}\n";
    assert!(rust_declares(with_mod, &["CpuBackend".into(), "step".into()]).is_err());
}
