//! Reading the JSON that `ip -j` prints.

use serde_json::Value;

use crate::LabError;

/// Reads `ip -j` output as a JSON array.
pub(crate) fn json_array(command: &str, text: &str) -> Result<Vec<Value>, LabError> {
    let parse_error = |reason: String| LabError::Parse {
        command: command.to_string(),
        reason,
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err(parse_error("expected a JSON array".to_string())),
        Err(e) => Err(parse_error(e.to_string())),
    }
}
