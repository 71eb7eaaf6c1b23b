//! Getting into an account by email, on the sign-in page (and so in its lazily loaded code):
//! the "forgot your password" form (`/login?forgot`), the form a reset link opens
//! (`/login?reset=…`), the button an email verification link opens (`/login?verify=…`), and
//! the notices once done; and the account page's email status. Plain forms (`ActionForm`)
//! that work before the page is interactive: each server function redirects to the page that
//! says what happened.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

use crate::api::auth::MIN_PASSWORD_CHARS;
use crate::api::recovery::{
    my_email_status, reset_link_live, RequestPasswordReset, ResendVerification, ResetPassword,
    VerifyEmail, DONE_PARAM, FORGOT_PARAM, RESET_PARAM, VERIFIED_PARAM, VERIFY_PARAM,
};
use crate::ui::erase::Erase;
use crate::ui::pages::action_error;
use crate::ui::resource::resource;

/// Which part of getting back in the sign-in page's address asks for, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// The form asking for an email (`sent`: after it was sent).
    Forgot { sent: bool },
    /// The form a reset link opens, with the link's token.
    Reset(String),
    /// The button a verification link opens, with the link's token.
    Verify(String),
}

impl Recovery {
    pub fn from_query(query: &ParamsMap) -> Option<Recovery> {
        if let Some(token) = query.get(RESET_PARAM) {
            return Some(Recovery::Reset(token));
        }
        if let Some(token) = query.get(VERIFY_PARAM) {
            return Some(Recovery::Verify(token));
        }
        query.get(FORGOT_PARAM).map(|value| Recovery::Forgot {
            sent: value == "sent",
        })
    }
}

/// The forms of `step`.
#[component]
pub fn RecoveryForms(step: Recovery) -> impl IntoView {
    match step {
        Recovery::Forgot { sent: true } => view! {
            <h1>"Check your email"</h1>
            <p class="notice success" role="status">
                "If an account exists for that email, we sent it a link to set a new password. The link works for an hour."
            </p>
            <p><a href="/login">"Back to sign in"</a></p>
        }
        .erase(),
        Recovery::Forgot { sent: false } => view! { <ForgotForm/> }.erase(),
        Recovery::Reset(token) => view! { <ResetForm token/> }.erase(),
        Recovery::Verify(token) => view! { <VerifyForm token/> }.erase(),
    }
}

#[component]
fn Problem(message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class="notice error" role="alert">{move || message.get().unwrap_or_default()}</p>
        </Show>
    }
}

#[component]
fn ForgotForm() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = action_error(action);
    view! {
        <h1>"Forgot your password?"</h1>
        <p>"Enter the email you sign in with, and we will send you a link to set a new password."</p>
        <Problem message=error/>
        <ActionForm action>
            <label class="field"><span>"Email"</span><input type="email" name="email" required autocomplete="username"/></label>
            <button type="submit" class="button primary">"Send me a link"</button>
        </ActionForm>
        <p><a href="/login">"Back to sign in"</a></p>
    }
}

#[component]
fn ResetForm(token: String) -> impl IntoView {
    let checked = token.clone();
    let live = resource(move || checked.clone(), reset_link_live);
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let token = token.clone();
                Suspend::new(async move {
                    if live.await != Ok(true) {
                        return view! {
                            <h1>"This link can't be used"</h1>
                            <p>"It may have expired or been used already."</p>
                            <p><a href=format!("/login?{FORGOT_PARAM}")>"Ask for a new link"</a></p>
                        }
                            .erase();
                    }
                    view! {
                        <h1>"Set a new password"</h1>
                        <p class="muted">"Every place you are signed in is signed out."</p>
                        <Problem message=error/>
                        <ActionForm action>
                            <input type="hidden" name="token" value=token/>
                            <label class="field">
                                <span>{format!("New password ({MIN_PASSWORD_CHARS} characters or more)")}</span>
                                <input type="password" name="password" required minlength=MIN_PASSWORD_CHARS autocomplete="new-password"/>
                            </label>
                            <button type="submit" class="button primary">"Set password"</button>
                        </ActionForm>
                    }
                        .erase()
                })
            }}
        </Suspense>
    }
}

/// A button, not the link alone, confirms: mail scanners open links.
#[component]
fn VerifyForm(token: String) -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let error = action_error(action);
    view! {
        <h1>"Confirm your email"</h1>
        <Problem message=error/>
        <ActionForm action>
            <input type="hidden" name="token" value=token/>
            <button type="submit" class="button primary">"Confirm my email"</button>
        </ActionForm>
    }
}

/// On the sign-in page after a reset or a verification: what was done.
#[component]
pub fn RecoveryNotice(query: Memo<ParamsMap>) -> impl IntoView {
    let notice = move || {
        let query = query.read();
        if query.get(DONE_PARAM).is_some() {
            Some("Your new password is set. Sign in with it.")
        } else if query.get(VERIFIED_PARAM).is_some() {
            Some("Your email is confirmed.")
        } else {
            None
        }
    };
    view! {
        <Show when=move || notice().is_some()>
            <p class="notice success" role="status">{notice}</p>
        </Show>
    }
}

/// The account page's word on its email: nothing once verified; otherwise what that means
/// and a button to send the link again.
#[component]
pub fn EmailVerification() -> impl IntoView {
    let status = resource(|| (), |_| my_email_status());
    let action = ServerAction::<ResendVerification>::new();
    let error = action_error(action);
    let sent = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let unverified = status.await.is_ok_and(|s| !s.verified);
                if !unverified {
                    return ().erase();
                }
                view! {
                    <p class="notice">
                        "Your email is not verified yet: until it is, Waymark mails nobody on your behalf (invitations you make are links to pass on). Open the link we sent you to confirm it."
                    </p>
                    <Problem message=error/>
                    <Show when=sent><p class="notice success" role="status">"We sent you a new link."</p></Show>
                    <ActionForm action>
                        <button type="submit" class="button">"Send the link again"</button>
                    </ActionForm>
                }
                    .erase()
            })}
        </Suspense>
    }
}
