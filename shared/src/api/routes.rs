//! The route table (SPEC 4): which function serves which route. The local host and the
//! SAM template are checked against this one list.

use std::collections::HashMap;

/// One deployed HTTP function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    SubmitApplication,
    VerifyOtp,
    CheckStatus,
    Deactivate,
    RebindEmployee,
    ReviewDecision,
}

impl Function {
    pub const ALL: [Self; 6] = [
        Self::SubmitApplication,
        Self::VerifyOtp,
        Self::CheckStatus,
        Self::Deactivate,
        Self::RebindEmployee,
        Self::ReviewDecision,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::SubmitApplication => "submit-application",
            Self::VerifyOtp => "verify-otp",
            Self::CheckStatus => "check-status",
            Self::Deactivate => "deactivate",
            Self::RebindEmployee => "rebind-employee",
            Self::ReviewDecision => "review-decision",
        }
    }

    /// Whether the function issues or checks SMS codes, and so needs the hashing key.
    pub const fn handles_codes(self) -> bool {
        matches!(
            self,
            Self::SubmitApplication | Self::VerifyOtp | Self::Deactivate
        )
    }

    /// Whether the function uses SNS, and so links its client: it sends SMS (codes, or
    /// notices when a review ends) or publishes events (SPEC 5.6), as every function that
    /// changes anything does.
    pub const fn uses_sns(self) -> bool {
        !matches!(self, Self::CheckStatus)
    }

    /// Whether the function puts applications on the review queue (a confirmed code,
    /// documents added), and so links the SQS client.
    pub const fn queues_reviews(self) -> bool {
        matches!(self, Self::SubmitApplication | Self::VerifyOtp)
    }
}

impl Route {
    /// The function that serves the route, as a constant (the route table says the same;
    /// a test holds them together).
    pub const fn function(self) -> Function {
        match self {
            Self::SubmitApplication | Self::AddDocuments => Function::SubmitApplication,
            Self::VerifyOtp | Self::ResendOtp => Function::VerifyOtp,
            Self::GetApplication
            | Self::GetReport
            | Self::GetNumber
            | Self::GetAct
            | Self::ListApplications
            | Self::ListNumbers => Function::CheckStatus,
            Self::RequestDeactivation
            | Self::ConfirmDeactivation
            | Self::RequestSuspension
            | Self::ConfirmSuspension
            | Self::RequestResumption
            | Self::ConfirmResumption
            | Self::ReplaceNumber => Function::Deactivate,
            Self::RebindEmployee => Function::RebindEmployee,
            Self::ListReviews
            | Self::Decide
            | Self::PutRestriction
            | Self::DeleteRestriction
            | Self::GetRestriction
            | Self::ListRestrictions => Function::ReviewDecision,
        }
    }

    /// What the route requires of the token, checked before anything else of the request.
    pub(crate) fn access(self) -> super::Access {
        use super::Access;
        match self {
            Self::GetApplication | Self::GetReport | Self::GetNumber | Self::GetAct => {
                Access::Either
            }
            // An organization asks for a code; an operator acts at once (SPEC 4.11).
            Self::RequestSuspension | Self::RequestResumption => Access::Either,
            Self::ListReviews
            | Self::Decide
            | Self::PutRestriction
            | Self::DeleteRestriction
            | Self::GetRestriction
            | Self::ListRestrictions => Access::Operator,
            Self::SubmitApplication
            | Self::ListApplications
            | Self::ListNumbers
            | Self::AddDocuments
            | Self::VerifyOtp
            | Self::ResendOtp
            | Self::RequestDeactivation
            | Self::ConfirmDeactivation
            | Self::ConfirmSuspension
            | Self::ConfirmResumption
            | Self::ReplaceNumber
            | Self::RebindEmployee => Access::Organization,
        }
    }

    /// The token scopes API Gateway's authorizer accepts for the route (any one of them).
    pub fn scopes(self) -> &'static [&'static str] {
        use super::{Access, SCOPE_OPERATOR, SCOPE_ORG};
        match self.access() {
            Access::Either => &[SCOPE_ORG, SCOPE_OPERATOR],
            Access::Operator => &[SCOPE_OPERATOR],
            Access::Organization => &[SCOPE_ORG],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    SubmitApplication,
    AddDocuments,
    VerifyOtp,
    ResendOtp,
    GetApplication,
    GetReport,
    GetNumber,
    GetAct,
    ListApplications,
    ListNumbers,
    RequestDeactivation,
    ConfirmDeactivation,
    RequestSuspension,
    ConfirmSuspension,
    RequestResumption,
    ConfirmResumption,
    ReplaceNumber,
    RebindEmployee,
    ListReviews,
    Decide,
    PutRestriction,
    DeleteRestriction,
    GetRestriction,
    ListRestrictions,
}

#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub route: Route,
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
}

impl RouteSpec {
    /// `POST /v1/applications`: API Gateway's route key.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        route: Route::SubmitApplication,
        method: "POST",
        path: "/v1/applications",
        function: Function::SubmitApplication,
    },
    RouteSpec {
        route: Route::VerifyOtp,
        method: "POST",
        path: "/v1/applications/{id}/otp",
        function: Function::VerifyOtp,
    },
    RouteSpec {
        route: Route::ResendOtp,
        method: "POST",
        path: "/v1/applications/{id}/otp/resend",
        function: Function::VerifyOtp,
    },
    RouteSpec {
        route: Route::GetApplication,
        method: "GET",
        path: "/v1/applications/{id}",
        function: Function::CheckStatus,
    },
    RouteSpec {
        route: Route::GetReport,
        method: "GET",
        path: "/v1/applications/{id}/report.pdf",
        function: Function::CheckStatus,
    },
    RouteSpec {
        route: Route::GetNumber,
        method: "GET",
        path: "/v1/numbers/{phone}",
        function: Function::CheckStatus,
    },
    RouteSpec {
        route: Route::ListApplications,
        method: "GET",
        path: "/v1/applications",
        function: Function::CheckStatus,
    },
    RouteSpec {
        route: Route::ListNumbers,
        method: "GET",
        path: "/v1/numbers",
        function: Function::CheckStatus,
    },
    RouteSpec {
        route: Route::GetAct,
        method: "GET",
        path: "/v1/numbers/{phone}/acts/{act_number}",
        function: Function::CheckStatus,
    },
    RouteSpec {
        route: Route::AddDocuments,
        method: "POST",
        path: "/v1/applications/{id}/documents",
        function: Function::SubmitApplication,
    },
    RouteSpec {
        route: Route::RequestDeactivation,
        method: "POST",
        path: "/v1/numbers/{phone}/deactivation",
        function: Function::Deactivate,
    },
    RouteSpec {
        route: Route::ConfirmDeactivation,
        method: "POST",
        path: "/v1/numbers/{phone}/deactivation/confirm",
        function: Function::Deactivate,
    },
    RouteSpec {
        route: Route::RequestSuspension,
        method: "POST",
        path: "/v1/numbers/{phone}/suspension",
        function: Function::Deactivate,
    },
    RouteSpec {
        route: Route::ConfirmSuspension,
        method: "POST",
        path: "/v1/numbers/{phone}/suspension/confirm",
        function: Function::Deactivate,
    },
    RouteSpec {
        route: Route::RequestResumption,
        method: "POST",
        path: "/v1/numbers/{phone}/resumption",
        function: Function::Deactivate,
    },
    RouteSpec {
        route: Route::ConfirmResumption,
        method: "POST",
        path: "/v1/numbers/{phone}/resumption/confirm",
        function: Function::Deactivate,
    },
    RouteSpec {
        route: Route::ReplaceNumber,
        method: "POST",
        path: "/v1/numbers/{phone}/replacement",
        function: Function::Deactivate,
    },
    RouteSpec {
        route: Route::RebindEmployee,
        method: "PUT",
        path: "/v1/numbers/{phone}/employee",
        function: Function::RebindEmployee,
    },
    RouteSpec {
        route: Route::ListReviews,
        method: "GET",
        path: "/v1/reviews",
        function: Function::ReviewDecision,
    },
    RouteSpec {
        route: Route::Decide,
        method: "POST",
        path: "/v1/applications/{id}/decision",
        function: Function::ReviewDecision,
    },
    RouteSpec {
        route: Route::PutRestriction,
        method: "PUT",
        path: "/v1/numbers/{phone}/restriction",
        function: Function::ReviewDecision,
    },
    RouteSpec {
        route: Route::DeleteRestriction,
        method: "DELETE",
        path: "/v1/numbers/{phone}/restriction",
        function: Function::ReviewDecision,
    },
    RouteSpec {
        route: Route::GetRestriction,
        method: "GET",
        path: "/v1/numbers/{phone}/restriction",
        function: Function::ReviewDecision,
    },
    RouteSpec {
        route: Route::ListRestrictions,
        method: "GET",
        path: "/v1/restrictions",
        function: Function::ReviewDecision,
    },
];

/// Matches a request path against one pattern, returning the captured parameters.
fn match_path(pattern: &str, path: &str) -> Option<HashMap<String, String>> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let mut params = HashMap::new();
    let mut pattern_parts = pattern.split('/');
    let mut path_parts = path.split('/');
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    params.insert(name.to_owned(), s.to_owned());
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Decodes `%XX` escapes in a path segment or query part, as API Gateway does for path
/// and query parameters; anything else (a lone `%`, `+`) stays as it is.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parameters of a raw query string, decoded, in order (`a=1&b` gives `b` = "").
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// What a method and path resolve to.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution {
    Found(RouteSpec, HashMap<String, String>),
    /// The path exists with other methods.
    MethodNotAllowed(Vec<&'static str>),
    NotFound,
}

impl PartialEq for RouteSpec {
    fn eq(&self, other: &Self) -> bool {
        self.route == other.route
    }
}
impl Eq for RouteSpec {}

pub fn resolve(method: &str, path: &str) -> Resolution {
    let mut allowed = Vec::new();
    for spec in ROUTES {
        if let Some(params) = match_path(spec.path, path) {
            if spec.method.eq_ignore_ascii_case(method) {
                return Resolution::Found(*spec, params);
            }
            allowed.push(spec.method);
        }
    }
    if allowed.is_empty() {
        Resolution::NotFound
    } else {
        Resolution::MethodNotAllowed(allowed)
    }
}

/// The route for an API Gateway route key such as `GET /v1/applications/{id}`.
pub fn by_key(key: &str) -> Option<RouteSpec> {
    // Compared in parts: every request of a deployed function looks its route up here.
    let (method, path) = key.split_once(' ')?;
    ROUTES
        .iter()
        .find(|r| r.method == method && r.path == path)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_as_api_gateway_does() {
        assert_eq!(percent_decode("%2B79161234567"), "+79161234567");
        assert_eq!(percent_decode("%2b7"), "+7");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("a+b"), "a+b");
        assert_eq!(
            query_pairs("status=%D0%B0&limit=5&&flag"),
            vec![
                ("status".to_owned(), "а".to_owned()),
                ("limit".to_owned(), "5".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn resolves_paths_and_parameters() {
        let Resolution::Found(spec, params) = resolve("POST", "/v1/applications/abc/otp/resend")
        else {
            panic!("no match")
        };
        assert_eq!(spec.route, Route::ResendOtp);
        assert_eq!(params["id"], "abc");
        let Resolution::Found(spec, params) = resolve("GET", "/v1/numbers/%2B79161234567") else {
            panic!()
        };
        assert_eq!(
            (spec.route, params["phone"].as_str()),
            (Route::GetNumber, "%2B79161234567")
        );
        assert_eq!(
            resolve("DELETE", "/v1/applications"),
            Resolution::MethodNotAllowed(vec!["POST", "GET"])
        );
        assert_eq!(resolve("GET", "/v1/nothing"), Resolution::NotFound);
        assert_eq!(resolve("GET", "/v1/applications//"), Resolution::NotFound);
    }

    #[test]
    fn the_table_and_the_constants_agree() {
        for spec in ROUTES {
            assert_eq!(spec.route.function(), spec.function, "{}", spec.key());
        }
    }

    #[test]
    fn route_keys_are_unique_and_resolvable() {
        for spec in ROUTES {
            assert_eq!(by_key(&spec.key()).map(|s| s.route), Some(spec.route));
        }
        let mut keys: Vec<_> = ROUTES.iter().map(RouteSpec::key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), ROUTES.len());
        for unknown in [
            "$default",
            "GET /v1/applications/{id} ",
            "get /v1/applications",
            "",
        ] {
            assert!(by_key(unknown).is_none(), "{unknown:?}");
        }
    }
}
