//! Replays the corpus of tricky inputs under `fuzz/corpus/` through the entry points of the
//! cargo-fuzz targets, so that what fuzzing once found stays fixed in every test run.

use std::path::Path;

use scimitar::fuzz::targets;

fn replay(target: &str, entry: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry_file in std::fs::read_dir(&dir).expect("the corpus folder") {
        let path = entry_file.expect("an entry").path();
        let data = std::fs::read(&path).expect("a corpus file");
        let outcome = std::panic::catch_unwind(|| entry(&data));
        assert!(outcome.is_ok(), "{} panics", path.display());
        n += 1;
    }
    assert!(n >= 5, "only {n} inputs in {}", dir.display());
}

#[test]
fn filter_corpus() {
    replay("filter", targets::filter);
}

#[test]
fn patch_path_corpus() {
    replay("patch_path", targets::patch_path);
}

#[test]
fn suite_yaml_corpus() {
    replay("suite_yaml", targets::suite_yaml);
}
