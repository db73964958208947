//! The runner's errors: the user's input (exit code 2) as opposed to a failed simulation (1).

/// An error that is the user's input (exit code 2), as opposed to a failed simulation (1).
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// An [`InputError`] as an `anyhow::Error`.
pub fn input(msg: impl Into<String>) -> anyhow::Error {
    anyhow::anyhow!(InputError(msg.into()))
}
