//! Browser file work the server functions can't do: reading the start of a chosen file (for a
//! preview) and uploading a form with progress events (`fetch` reports no upload progress).
//!
//! Called only from event handlers, so only in the browser; it compiles on both sides because
//! `web-sys` and `wasm-bindgen` types do.

use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::JsCast;
use web_sys::{File, FileReader, FormData, ProgressEvent, XmlHttpRequest};

/// Reads the first `bytes` of `file` as text and hands it to `done` (a multi-byte character
/// cut at the end comes out as a replacement character, which a preview can live with).
pub fn read_start(file: &File, bytes: f64, done: impl FnOnce(Result<String, String>) + 'static) {
    let failed = |what: &str| Err(format!("cannot read the file ({what})"));
    let Ok(reader) = FileReader::new() else {
        return done(failed("no FileReader"));
    };
    let Ok(head) = file.slice_with_f64_and_f64(0.0, bytes) else {
        return done(failed("slice"));
    };
    let done = std::cell::RefCell::new(Some(done));
    let on_load = {
        let reader = reader.clone();
        Closure::<dyn FnMut()>::new(move || {
            let text = reader.result().ok().and_then(|r| r.as_string());
            if let Some(done) = done.borrow_mut().take() {
                done(text.ok_or_else(|| "the file is not text".to_owned()));
            }
        })
    };
    reader.set_onloadend(Some(on_load.as_ref().unchecked_ref()));
    // The reader calls back once; the closure must live until then.
    on_load.forget();
    if reader.read_as_text(&head).is_err() {
        // `onloadend` still fires with no result, which reports the failure.
    }
}

/// What an upload reports as it goes.
pub enum Upload {
    /// Fraction of the body sent, 0.0 to 1.0.
    Sending(f64),
    /// The body is sent; the server is working on it.
    Waiting,
    /// The server answered with this status and body (status 0: the request failed).
    Answered(u16, String),
}

/// POSTs `form` to `url`, reporting progress and the answer through `report`.
pub fn post_form(url: &str, form: &FormData, report: impl Fn(Upload) + 'static) {
    let report = std::rc::Rc::new(report);
    let Ok(request) = XmlHttpRequest::new() else {
        return report(Upload::Answered(0, "cannot start the upload".into()));
    };
    if request.open("POST", url).is_err() {
        return report(Upload::Answered(0, "cannot start the upload".into()));
    }
    if let Ok(upload) = request.upload() {
        let progress = {
            let report = report.clone();
            Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
                if ev.length_computable() && ev.total() > 0.0 {
                    let sent = ev.loaded() / ev.total();
                    report(if sent >= 1.0 {
                        Upload::Waiting
                    } else {
                        Upload::Sending(sent)
                    });
                }
            })
        };
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();
    }
    let finished = {
        let request = request.clone();
        let report = report.clone();
        Closure::<dyn FnMut()>::new(move || {
            let status = request.status().unwrap_or(0);
            let body = request.response_text().ok().flatten().unwrap_or_default();
            report(Upload::Answered(status, body));
        })
    };
    request.set_onloadend(Some(finished.as_ref().unchecked_ref()));
    finished.forget();
    if request.send_with_opt_form_data(Some(form)).is_err() {
        report(Upload::Answered(0, "the upload failed".into()));
    }
}
