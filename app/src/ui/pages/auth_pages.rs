//! Signing in: the first-run setup, the sign-in form, one's account, and accepting an invitation.
//! All plain forms (`ActionForm`), so they work before the page is interactive.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::auth::{
    current_user, ways_in, ChangePassword, LogIn, SetUp, SignInMethods, MIN_PASSWORD_CHARS,
    SSO_START,
};
use crate::api::sharing::{invite_info, AcceptInvite};
use crate::domain::account::Email;
use crate::ui::app::PageTitle;
use crate::ui::erase::Erase;
use crate::ui::format::date_time;
use crate::ui::pages::action_error;
use crate::ui::pages::notifications::NotificationSwitches;
use crate::ui::pages::recovery::{EmailVerification, Recovery, RecoveryForms, RecoveryNotice};
use crate::ui::resource::resource;

#[component]
fn FormError(message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class="notice error" role="alert">{move || message.get().unwrap_or_default()}</p>
        </Show>
    }
}

#[component]
fn PasswordField(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    new: bool,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input
                type="password"
                name=name
                required
                minlength=if new { MIN_PASSWORD_CHARS } else { 1 }
                autocomplete=if new { "new-password" } else { "current-password" }
            />
        </label>
    }
}

/// The single sign-on button: a plain link (`rel="external"`, so the router leaves it to the
/// browser), carrying where to go afterwards.
#[component]
fn SsoLink(label: String, next: String) -> impl IntoView {
    let mut href = format!("{SSO_START}?next=");
    for byte in next.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            href.push(char::from(byte));
        } else {
            href.push_str(&format!("%{byte:02X}"));
        }
    }
    view! { <p><a class="button primary" rel="external" href=href>{format!("Sign in with {label}")}</a></p> }
}

/// Why single sign-on did not sign someone in, from the code the server's callback sent back
/// (`?sso_error=…&email=…`). The email is shown only if it is one, so a crafted link can put no
/// other words on the page.
fn sso_refusal(code: &str, email: Option<String>) -> String {
    let email = email
        .filter(|e| Email::parse(e).is_ok())
        .unwrap_or_else(|| "that email".to_owned());
    match code {
        "no_account" => format!("No Waymark account for {email}; ask an admin for an invitation."),
        "unverified" => {
            format!("Your provider has not verified {email}, so it cannot sign you in here.")
        }
        "expired" => "That sign-in was already used or took too long; please sign in again.".into(),
        "denied" => "Signing in was cancelled at the provider.".into(),
        "unavailable" => {
            "The sign-in provider cannot be reached right now; please try again shortly.".into()
        }
        "busy" => "Too many sign-ins at once; please try again in a minute.".into(),
        "error" => "Something went wrong on our side; please try again.".into(),
        _ => "The provider's answer could not be trusted, so you were not signed in.".into(),
    }
}

/// `/setup`: the first admin account, on a new installation only.
#[component]
pub fn SetupPage() -> impl IntoView {
    let methods = resource(|| (), |_| ways_in());
    let action = ServerAction::<SetUp>::new();
    let error = action_error(action);
    view! {
        <PageTitle text="Set up Waymark"/>
        <link rel="stylesheet" href=crate::ui::pages::PAGE_STYLES/>
        <main id="main" class="form-page">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let methods = match methods.await {
                        Ok(methods) if methods.needs_setup && methods.password => methods,
                        _ => return view! { <Redirect path="/login"/> }.erase(),
                    };
                    view! {
                        <h1>"Welcome to Waymark"</h1>
                        <p>"Create the first account. It administers this Waymark: it invites the others."</p>
                        {methods.sso.map(|label| view! { <SsoLink label next="/".into()/> })}
                        <FormError message=error/>
                        <ActionForm action>
                            <label class="field"><span>"Your name"</span><input type="text" name="name" required maxlength="200" autocomplete="name"/></label>
                            <label class="field"><span>"Email"</span><input type="email" name="email" required autocomplete="email"/></label>
                            <PasswordField label=format!("Password ({MIN_PASSWORD_CHARS} characters or more)") name="password" new=true/>
                            <button type="submit" class="button primary">"Create account"</button>
                        </ActionForm>
                    }
                        .erase()
                })}
            </Suspense>
        </main>
    }
}

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    let refused = Signal::derive(move || {
        let query = query.read();
        query
            .get("sso_error")
            .map(|code| sso_refusal(&code, query.get("email")))
    });
    let methods = resource(|| (), |_| ways_in());
    let action = ServerAction::<LogIn>::new();
    let error = action_error(action);
    view! {
        <PageTitle text="Sign in"/>
        <link rel="stylesheet" href=crate::ui::pages::PAGE_STYLES/>
        <main id="main" class="form-page">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let methods = methods.await.unwrap_or(SignInMethods { needs_setup: false, sso: None, password: true });
                    if methods.needs_setup && methods.password {
                        return view! { <Redirect path="/setup"/> }.erase();
                    }
                    // "Forgot your password?" and the page a reset link opens (`recovery`).
                    if let Some(step) = Recovery::from_query(&query.read()) {
                        return view! { <RecoveryForms step/> }.erase();
                    }
                    view! {
                        <h1>"Sign in to Waymark"</h1>
                        <FormError message=refused/>
                        <RecoveryNotice query/>
                        {methods.needs_setup.then(|| view! { <p>"The first person to sign in administers this Waymark."</p> })}
                        {methods.sso.map(|label| view! { <SsoLink label next=next()/> })}
                        <FormError message=error/>
                        {methods.password.then(|| view! {
                            <ActionForm action>
                                <input type="hidden" name="next" value=next()/>
                                <label class="field"><span>"Email"</span><input type="email" name="email" required autocomplete="username"/></label>
                                <PasswordField label="Password" name="password" new=false/>
                                <button type="submit" class="button primary">"Sign in"</button>
                            </ActionForm>
                            <p><a href="/login?forgot">"Forgot your password?"</a></p>
                        })}
                        <p class="muted">"No account? Ask whoever runs this Waymark for an invitation."</p>
                    }
                        .erase()
                })}
            </Suspense>
        </main>
    }
}

/// `/account`: who you are, and your password.
#[component]
pub fn AccountPage() -> impl IntoView {
    let user = resource(|| (), |_| current_user());
    let action = ServerAction::<ChangePassword>::new();
    let error = action_error(action);
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <PageTitle text="Your account"/>
        <header class="topbar"><a class="brand" href="/">"Waymark"</a></header>
        <link rel="stylesheet" href=crate::ui::pages::PAGE_STYLES/>
        <main id="main" class="form-page">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let Ok(Some(user)) = user.await else {
                        return view! { <Redirect path="/login?next=/account"/> }.erase();
                    };
                    view! {
                        <h1>{user.name.clone()}</h1>
                        <p class="muted">{user.email.clone()}{if user.is_admin { " · admin" } else { "" }}</p>
                        <EmailVerification/>
                        <NotificationSwitches/>
                        <h2>"Change your password"</h2>
                        <p class="muted">"Every other place you are signed in is signed out."</p>
                        <FormError message=error/>
                        <Show when=done><p class="notice success" role="status">"Password changed."</p></Show>
                        <ActionForm action>
                            <PasswordField label="Current password" name="current" new=false/>
                            <PasswordField label=format!("New password ({MIN_PASSWORD_CHARS} characters or more)") name="new" new=true/>
                            <button type="submit" class="button primary">"Change password"</button>
                        </ActionForm>
                        <p><a href="/">"Back to your maps"</a></p>
                    }
                        .erase()
                })}
            </Suspense>
        </main>
    }
}

/// `/invite/{token}`: joining Waymark through an invitation.
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let info = resource(token, invite_info);
    let methods = resource(|| (), |_| ways_in());
    let action = ServerAction::<AcceptInvite>::new();
    let error = action_error(action);
    view! {
        <PageTitle text="Join Waymark"/>
        <link rel="stylesheet" href=crate::ui::pages::PAGE_STYLES/>
        <main id="main" class="form-page">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let Ok(invite) = info.await else {
                        return view! {
                            <h1>"This invitation can't be used"</h1>
                            <p>"It may have expired or been used already. Ask for a new one."</p>
                        }
                            .erase();
                    };
                    let offer = match (&invite.map_title, invite.role) {
                        (Some(title), Some(role)) => format!(" to the map “{title}” as {}", role.label().to_lowercase()),
                        _ => String::new(),
                    };
                    // Single sign-on accepts invitations bound to the email it signs in.
                    let (sso, password) = methods.await.map_or((None, true), |m| (m.sso, m.password));
                    let bound = invite.email.is_some();
                    view! {
                        <h1>"Join Waymark"</h1>
                        <p>{format!("{} invited you{offer}. The invitation is valid until {}.", invite.invited_by, date_time(invite.expires_at))}</p>
                        {sso.filter(|_| bound).map(|label| view! { <SsoLink label next="/".into()/> })}
                        {(!password && !bound).then(|| view! { <p>"This invitation is for no email in particular, and this Waymark takes no passwords: ask for one bound to your email."</p> })}
                        <FormError message=error/>
                        {password.then(|| view! {
                            <ActionForm action>
                                <input type="hidden" name="token" value=token()/>
                                <label class="field"><span>"Your name"</span><input type="text" name="name" required maxlength="200" autocomplete="name"/></label>
                                <label class="field"><span>"Email"</span><input type="email" name="email" required autocomplete="email" value=invite.email.clone()/></label>
                                <PasswordField label=format!("Password ({MIN_PASSWORD_CHARS} characters or more)") name="password" new=true/>
                                <button type="submit" class="button primary">"Create my account"</button>
                            </ActionForm>
                        })}
                    }
                        .erase()
                })}
            </Suspense>
        </main>
    }
}
