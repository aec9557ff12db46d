#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scimitar::fuzz::targets::suite_yaml(data));
