//! fancy-regex behind a minimal C ABI for wasm32-unknown-unknown.
//!
//! The host (src/filters/regex.ts) owns all strings: it allocates a buffer with
//! `fr_alloc`, writes UTF-8 into linear memory, passes (ptr, len), then releases it
//! with `fr_dealloc`. Compiled regexes live in a slot table inside the module and are
//! named by small positive handles. Every failure returns a negative status and leaves
//! a human-readable message readable through `fr_last_error_ptr`/`fr_last_error_len`.

use fancy_regex::{Regex, RegexBuilder};
use std::alloc::{alloc, dealloc, Layout};
use std::cell::RefCell;

/// Bit 0 of `fr_compile`'s flags: match case-insensitively, as mirrord does for HTTP
/// filters (it prefixes the pattern with `(?i)`).
const FLAG_CASE_INSENSITIVE: u32 = 1;

/// The pattern or the haystack failed (syntax error at compile time, backtrack
/// limit or stack overflow at match time). Message in the last-error slot.
const STATUS_REGEX_ERROR: i32 = -1;
/// The handle names no live regex.
const STATUS_UNKNOWN_HANDLE: i32 = -2;
/// The bytes passed are not UTF-8.
const STATUS_NOT_UTF8: i32 = -3;

thread_local! {
    static SLOTS: RefCell<Slots> = RefCell::new(Slots::default());
    static LAST_ERROR: RefCell<String> = RefCell::new(String::new());
}

/// Compiled regexes by handle; freed slots are reused so memory stays bounded
/// however many compile/free cycles the host runs.
#[derive(Default)]
struct Slots {
    regexes: Vec<Option<Regex>>,
    vacant: Vec<usize>,
}

impl Slots {
    fn insert(&mut self, regex: Regex) -> usize {
        match self.vacant.pop() {
            Some(index) => {
                self.regexes[index] = Some(regex);
                index
            }
            None => {
                self.regexes.push(Some(regex));
                self.regexes.len() - 1
            }
        }
    }

    fn get(&self, index: usize) -> Option<&Regex> {
        self.regexes.get(index).and_then(Option::as_ref)
    }

    fn remove(&mut self, index: usize) -> bool {
        match self.regexes.get_mut(index).and_then(Option::take) {
            Some(_) => {
                self.vacant.push(index);
                true
            }
            None => false,
        }
    }
}

fn set_last_error(message: String) {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = message);
}

/// Handles are slot index + 1 so that 0 and negatives are never valid handles.
fn handle_to_index(handle: i32) -> Option<usize> {
    if handle > 0 {
        Some((handle - 1) as usize)
    } else {
        None
    }
}

/// Reads host-provided bytes as UTF-8.
///
/// # Safety
/// `ptr` must point to `len` readable bytes in linear memory (or `len` must be 0).
unsafe fn read_str<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str, i32> {
    let bytes = if len == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(ptr, len)
    };
    std::str::from_utf8(bytes).map_err(|error| {
        set_last_error(format!("{} is not valid UTF-8: {}", what, error));
        STATUS_NOT_UTF8
    })
}

fn byte_layout(len: usize) -> Option<Layout> {
    Layout::from_size_align(len.max(1), 1).ok()
}

/// Allocates `len` bytes for the host to fill; returns 0 (null) when memory is exhausted.
#[no_mangle]
pub extern "C" fn fr_alloc(len: usize) -> *mut u8 {
    match byte_layout(len) {
        Some(layout) => unsafe { alloc(layout) },
        None => std::ptr::null_mut(),
    }
}

/// Releases a buffer obtained from `fr_alloc` with the same `len`.
///
/// # Safety
/// `ptr` must come from `fr_alloc(len)` and not have been released yet.
#[no_mangle]
pub unsafe extern "C" fn fr_dealloc(ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    if let Some(layout) = byte_layout(len) {
        dealloc(ptr, layout);
    }
}

/// Compiles the UTF-8 pattern at (ptr, len). Returns a handle (> 0) or a negative status.
///
/// # Safety
/// (ptr, len) must describe readable linear memory.
#[no_mangle]
pub unsafe extern "C" fn fr_compile(ptr: *const u8, len: usize, flags: u32) -> i32 {
    let pattern = match read_str(ptr, len, "pattern") {
        Ok(pattern) => pattern,
        Err(status) => return status,
    };
    let source = if flags & FLAG_CASE_INSENSITIVE != 0 {
        format!("(?i){}", pattern)
    } else {
        pattern.to_owned()
    };
    match RegexBuilder::new(&source).build() {
        Ok(regex) => {
            let index = SLOTS.with(|slots| slots.borrow_mut().insert(regex));
            // Cannot overflow: 2^31 live regexes would not fit in a 4 GiB linear memory.
            (index + 1) as i32
        }
        Err(error) => {
            set_last_error(error.to_string());
            STATUS_REGEX_ERROR
        }
    }
}

/// Searches the UTF-8 haystack at (ptr, len) anywhere (unanchored).
/// Returns 1 (match), 0 (no match) or a negative status.
///
/// # Safety
/// (ptr, len) must describe readable linear memory.
#[no_mangle]
pub unsafe extern "C" fn fr_is_match(handle: i32, ptr: *const u8, len: usize) -> i32 {
    let haystack = match read_str(ptr, len, "haystack") {
        Ok(haystack) => haystack,
        Err(status) => return status,
    };
    SLOTS.with(|slots| {
        let slots = slots.borrow();
        let regex = match handle_to_index(handle).and_then(|index| slots.get(index)) {
            Some(regex) => regex,
            None => {
                set_last_error(format!("no live regex has handle {}", handle));
                return STATUS_UNKNOWN_HANDLE;
            }
        };
        match regex.is_match(haystack) {
            Ok(matched) => i32::from(matched),
            Err(error) => {
                set_last_error(error.to_string());
                STATUS_REGEX_ERROR
            }
        }
    })
}

/// Drops the regex behind `handle`. Returns 0, or a negative status for an unknown handle.
#[no_mangle]
pub extern "C" fn fr_regex_free(handle: i32) -> i32 {
    let removed = handle_to_index(handle)
        .map(|index| SLOTS.with(|slots| slots.borrow_mut().remove(index)))
        .unwrap_or(false);
    if removed {
        0
    } else {
        set_last_error(format!("no live regex has handle {}", handle));
        STATUS_UNKNOWN_HANDLE
    }
}

/// Address of the last error message (UTF-8, not NUL-terminated); valid until the next call.
#[no_mangle]
pub extern "C" fn fr_last_error_ptr() -> *const u8 {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

/// Length in bytes of the last error message.
#[no_mangle]
pub extern "C" fn fr_last_error_len() -> usize {
    LAST_ERROR.with(|slot| slot.borrow().len())
}
