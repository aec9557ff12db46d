#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scimitar::fuzz::targets::patch_path(data));
