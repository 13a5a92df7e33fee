//! The user being evaluated, in Statsig's shape, and how conditions read its fields.
//!
//! Serde reads the JSON Statsig's SDKs use (`userID`, `email`, `ip`, `userAgent`, `country`,
//! `locale`, `appVersion`, `custom`, `privateAttributes`, `customIDs`, `statsigEnvironment`).
//! Like Statsig's Python `StatsigUser`, the user ID and custom IDs are turned into strings
//! (`123` becomes `"123"`); every other field is kept as the JSON it was given.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::model::{FieldName, IdType, TopField};
use crate::python::Py;

/// A user, as Statsig's SDKs describe one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(
        rename = "userID",
        alias = "user_id",
        alias = "userId",
        default,
        deserialize_with = "id_as_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Value>,
    #[serde(default, alias = "ipAddress", skip_serializing_if = "Option::is_none")]
    pub ip: Option<Value>,
    #[serde(default, alias = "user_agent", skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Value>,
    #[serde(
        default,
        alias = "app_version",
        skip_serializing_if = "Option::is_none"
    )]
    pub app_version: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Map<String, Value>>,
    #[serde(
        default,
        alias = "private_attributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub private_attributes: Option<Map<String, Value>>,
    #[serde(
        rename = "customIDs",
        alias = "custom_ids",
        alias = "customIds",
        default,
        deserialize_with = "ids_as_strings",
        skip_serializing_if = "Option::is_none"
    )]
    pub custom_ids: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statsig_environment: Option<Map<String, Value>>,
}

impl User {
    /// A user with just an ID.
    pub fn with_id(id: impl Into<String>) -> User {
        User {
            user_id: Some(id.into()),
            ..User::default()
        }
    }

    /// The unit ID for an `idType`: `userID` (in any case) is the user ID, anything else is
    /// looked up in `customIDs` as written, then in lower case.
    pub(crate) fn unit_id(&self, id_type: &IdType) -> Option<&str> {
        match id_type {
            IdType::UserId => self.user_id.as_deref(),
            IdType::Custom { exact, lowered } => {
                let ids = self.custom_ids.as_ref()?;
                ids.get(exact.as_str())
                    .or_else(|| ids.get(lowered.as_str()))
                    .and_then(Value::as_str)
            }
        }
    }

    /// A `user_field` value: the top-level field, then `custom`, then `privateAttributes`,
    /// each tried while the value so far is missing or `""`.
    pub(crate) fn field(&self, field: &FieldName) -> Py<'_> {
        let mut value = match field.top {
            TopField::UserId => self.user_id.as_deref().map_or(Py::None, Py::Str),
            TopField::Email => Py::from(self.email.as_ref()),
            TopField::Ip => Py::from(self.ip.as_ref()),
            TopField::UserAgent => Py::from(self.user_agent.as_ref()),
            TopField::Country => Py::from(self.country.as_ref()),
            TopField::Locale => Py::from(self.locale.as_ref()),
            TopField::AppVersion => Py::from(self.app_version.as_ref()),
            TopField::None => Py::None,
        };
        if is_empty(&value) {
            if let Some(custom) = &self.custom {
                if let Some(v) = custom
                    .get(&field.exact)
                    .or_else(|| custom.get(&field.folded))
                {
                    value = Py::from(v);
                }
            }
        }
        if is_empty(&value) {
            if let Some(private) = &self.private_attributes {
                if let Some(v) = private
                    .get(&field.exact)
                    .or_else(|| private.get(&field.lowered))
                {
                    value = Py::from(v);
                }
            }
        }
        value
    }
}

fn is_empty(value: &Py<'_>) -> bool {
    matches!(value, Py::None | Py::Str(""))
}

fn id_as_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(value.and_then(|v| Py::from(&v).to_str().map(|s| s.into_owned())))
}

fn ids_as_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Map<String, Value>>, D::Error> {
    let value = Option::<Map<String, Value>>::deserialize(d)?;
    Ok(value.map(|ids| {
        ids.into_iter()
            .map(|(k, v)| {
                let s = Py::from(&v)
                    .to_str()
                    .map_or_else(|| "None".to_owned(), |s| s.into_owned());
                (k, Value::String(s))
            })
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_statsig_json_and_stringifies_ids() {
        let user: User = serde_json::from_value(json!({
            "userID": 42,
            "email": "a@b.c",
            "customIDs": {"companyID": 7},
            "statsigEnvironment": {"tier": "production"}
        }))
        .unwrap();
        assert_eq!(user.user_id.as_deref(), Some("42"));
        assert_eq!(user.custom_ids.unwrap()["companyID"], json!("7"));
        assert_eq!(
            user.statsig_environment.unwrap()["tier"],
            json!("production")
        );
    }

    #[test]
    fn field_falls_back_to_custom_then_private() {
        let user: User = serde_json::from_value(json!({
            "userID": "u",
            "email": "",
            "custom": {"email": "custom@x", "plan": "pro"},
            "privateAttributes": {"secret": 1}
        }))
        .unwrap();
        assert_eq!(user.field(&FieldName::new("EMAIL")), Py::Str("custom@x"));
        assert_eq!(user.field(&FieldName::new("Plan")), Py::Str("pro"));
        assert_eq!(user.field(&FieldName::new("secret")), Py::Int(1));
        assert_eq!(user.field(&FieldName::new("missing")), Py::None);
        assert_eq!(user.field(&FieldName::new("user_id")), Py::Str("u"));
    }

    #[test]
    fn unit_id_reads_custom_ids_case_insensitively() {
        use crate::model::IdType;
        let user: User =
            serde_json::from_value(json!({"userID": "u", "customIDs": {"companyid": "c"}}))
                .unwrap();
        assert_eq!(user.unit_id(&IdType::new("USERID")), Some("u"));
        assert_eq!(user.unit_id(&IdType::new("companyID")), Some("c"));
        assert_eq!(user.unit_id(&IdType::new("stableID")), None);
    }
}
