//! The login screen: server, API version, user and a masked password.
//!
//! It is shown at start when no password source exists (no `VEX_PASSWORD`, `password_command` or profile
//! password), and over the current view when the session expires mid-way (the refresh token was
//! refused). After an expiry only the user and password can change: the server and the API version
//! stay what the view on screen was loaded from.
//!
//! The password lives in a [`SecretField`]: zeroized memory that is wiped when it grows, is cleared or is
//! dropped, shown as bullets, and redacted in `Debug`. It leaves the dialog only as a `SecretString`.
//! The user name is not a secret: it is shown in the header and prefilled after an expiry.

use super::Help;
use crate::api::{ApiVersion, VersionChoice};
use crate::app::fields::{SecretField, edit};
use crate::app::{Action, Call, Effect, RequestId, Requests, To};
use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;

pub const HELP: Help = &[
    (Action::NextPane, "next field", "next field"),
    (Action::PrevPane, "prev field", "previous field"),
    (Action::Open, "log in", "log in"),
];

/// Where to log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginTarget {
    /// The server URL (`https://vb365.example.com:4443`).
    pub server: String,
    pub api: VersionChoice,
}

/// Why the login screen is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginReason {
    /// No password was supplied: nothing is loaded yet.
    Start,
    /// The server refused to renew the session: the view behind waits for the login.
    Expired,
}

/// The focused field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginField {
    Server,
    Api,
    User,
    Password,
}

/// The API versions offered, in order.
pub const API_CHOICES: [VersionChoice; 4] = [
    VersionChoice::Auto,
    VersionChoice::Fixed(ApiVersion::V6),
    VersionChoice::Fixed(ApiVersion::V7),
    VersionChoice::Fixed(ApiVersion::V8),
];

/// The login dialog.
#[derive(Clone, Debug)]
pub struct LoginDialog {
    pub reason: LoginReason,
    pub server: Input,
    pub api: VersionChoice,
    pub user: Input,
    pub password: SecretField,
    pub field: LoginField,
    /// What the current client was made for: a login to anything else asks the runtime for a new client.
    pub current: LoginTarget,
    /// The server's refusal or a problem with the input (server text: sanitised when drawn).
    pub error: Option<String>,
    /// The login request in flight.
    pub submitting: Option<RequestId>,
}

/// What a key did to the dialog.
#[derive(Clone, Debug)]
pub enum LoginReply {
    Keep,
    /// Leave vex (Esc on the first login: there is nothing to go back to).
    Quit,
    Submit(Effect),
}

/// What the runtime reports after a successful login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedIn {
    pub user: String,
    /// The server URL logged in to.
    pub server: String,
    /// The version in use (`v8`), known after the login.
    pub api_version: String,
}

impl LoginDialog {
    /// The first login (no password was supplied): every field can be edited.
    pub fn start(target: LoginTarget, user: &str) -> LoginDialog {
        let field = if user.trim().is_empty() {
            LoginField::User
        } else {
            LoginField::Password
        };
        LoginDialog {
            reason: LoginReason::Start,
            server: Input::new(target.server.clone()),
            api: target.api,
            user: Input::new(user.to_string()),
            password: SecretField::default(),
            field,
            current: target,
            error: None,
            submitting: None,
        }
    }

    /// After the session expired: same server and API version (shown, not editable), user prefilled.
    pub fn expired(target: LoginTarget, user: &str) -> LoginDialog {
        LoginDialog {
            reason: LoginReason::Expired,
            ..LoginDialog::start(target, user)
        }
    }

    /// True when the server and API fields can be changed.
    pub fn can_change_server(&self) -> bool {
        self.reason == LoginReason::Start
    }

    fn fields(&self) -> &'static [LoginField] {
        if self.can_change_server() {
            &[
                LoginField::Server,
                LoginField::Api,
                LoginField::User,
                LoginField::Password,
            ]
        } else {
            &[LoginField::User, LoginField::Password]
        }
    }

    fn step(&mut self, forward: bool) {
        let order = self.fields();
        let n = order.len();
        let i = order.iter().position(|f| *f == self.field).unwrap_or(0);
        self.field = order[if forward { (i + 1) % n } else { (i + n - 1) % n }];
    }

    fn cycle_api(&mut self, forward: bool) {
        let n = API_CHOICES.len();
        let i = API_CHOICES.iter().position(|v| *v == self.api).unwrap_or(0);
        self.api = API_CHOICES[if forward { (i + 1) % n } else { (i + n - 1) % n }];
    }

    pub fn on_key(&mut self, ev: &KeyEvent, requests: &mut Requests) -> LoginReply {
        if self.submitting.is_some() {
            // Waiting for the server (Ctrl+C still quits).
            return LoginReply::Keep;
        }
        match ev.code {
            KeyCode::Esc => {
                return match self.reason {
                    LoginReason::Start => LoginReply::Quit,
                    LoginReason::Expired => {
                        self.error = Some("log in to go on where you were (Ctrl+C quits)".into());
                        LoginReply::Keep
                    }
                };
            }
            KeyCode::Enter => return self.submit(requests),
            KeyCode::Tab | KeyCode::Down => {
                self.step(true);
                return LoginReply::Keep;
            }
            KeyCode::BackTab | KeyCode::Up => {
                self.step(false);
                return LoginReply::Keep;
            }
            _ => {}
        }
        match self.field {
            LoginField::Api => match ev.code {
                KeyCode::Right | KeyCode::Char(' ') | KeyCode::Char('l') => self.cycle_api(true),
                KeyCode::Left | KeyCode::Char('h') => self.cycle_api(false),
                _ => {}
            },
            LoginField::Server | LoginField::User => {
                let input = if self.field == LoginField::Server {
                    &mut self.server
                } else {
                    &mut self.user
                };
                edit(input, ev);
            }
            LoginField::Password => {
                self.password.handle(ev);
            }
        }
        LoginReply::Keep
    }

    /// Checks the input and builds the login request.
    fn submit(&mut self, requests: &mut Requests) -> LoginReply {
        let server = self.server.value().trim().to_string();
        let user = self.user.value().trim().to_string();
        if server.is_empty() {
            self.field = LoginField::Server;
            self.error = Some("enter the server URL (https://host:4443)".into());
            return LoginReply::Keep;
        }
        if user.is_empty() {
            self.field = LoginField::User;
            self.error = Some("enter the user name".into());
            return LoginReply::Keep;
        }
        if self.password.is_empty() {
            self.field = LoginField::Password;
            self.error = Some("enter the password".into());
            return LoginReply::Keep;
        }
        let target = LoginTarget { server, api: self.api };
        let r = requests.ask(
            To::Login,
            Call::Login {
                user,
                password: self.password.secret(),
                reconnect: (target != self.current).then_some(target),
            },
        );
        self.submitting = Some(r.id);
        self.error = None;
        LoginReply::Submit(Effect::Request(r))
    }

    /// Takes a failed login: the message is shown. The password is wiped and focused for the retry only
    /// when the server `refused` it; after a network or TLS problem it is kept (Enter tries again).
    /// (The request map dropped stale answers already.)
    pub fn on_refused(&mut self, message: String, refused: bool) {
        self.submitting = None;
        self.error = Some(message);
        if refused {
            self.password.clear();
            self.field = LoginField::Password;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Request;
    use crossterm::event::KeyModifiers;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn submit_needs_every_field_and_names_a_new_target() {
        let mut requests = Requests::default();
        let target = LoginTarget {
            server: "https://a:4443".into(),
            api: VersionChoice::Auto,
        };
        let mut d = LoginDialog::start(target.clone(), "op");
        assert_eq!(d.field, LoginField::Password);
        assert!(matches!(
            d.on_key(&key(KeyCode::Enter), &mut requests),
            LoginReply::Keep
        ));
        assert_eq!(d.error.as_deref(), Some("enter the password"));
        d.on_key(&key(KeyCode::Char('p')), &mut requests);
        let LoginReply::Submit(Effect::Request(Request {
            call: Call::Login { reconnect, .. },
            ..
        })) = d.on_key(&key(KeyCode::Enter), &mut requests)
        else {
            panic!("no login")
        };
        assert_eq!(reconnect, None);
        assert!(d.submitting.is_some(), "in flight");
        d.on_refused("bad".into(), true);
        assert!(d.password.is_empty());
        // Another API version: the runtime must make a new client.
        d.field = LoginField::Api;
        d.on_key(&key(KeyCode::Right), &mut requests);
        d.field = LoginField::Password;
        d.on_key(&key(KeyCode::Char('p')), &mut requests);
        let LoginReply::Submit(Effect::Request(Request {
            call: Call::Login { reconnect, .. },
            ..
        })) = d.on_key(&key(KeyCode::Enter), &mut requests)
        else {
            panic!("no login")
        };
        assert_eq!(
            reconnect,
            Some(LoginTarget {
                api: VersionChoice::Fixed(ApiVersion::V6),
                ..target.clone()
            })
        );
        // After an expiry, the server cannot be reached with Tab.
        let mut e = LoginDialog::expired(target, "op");
        for _ in 0..5 {
            e.on_key(&key(KeyCode::Tab), &mut requests);
            assert!(matches!(e.field, LoginField::User | LoginField::Password));
        }
        assert!(matches!(e.on_key(&key(KeyCode::Esc), &mut requests), LoginReply::Keep));
    }
}
