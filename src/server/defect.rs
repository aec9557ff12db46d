//! Defect switches: each breaks exactly one requirement of the bundled server, so scimitar's
//! own tests can prove that the check for that requirement fails when it should.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Defect {
    #[value(name = "create-200")]
    Create200,
    NoLocationHeader,
    DuplicateUserName,
    ListIgnoresFilter,
    JsonContentType,
    NotFoundWithoutBody,
    AuthIgnored,
    PatchRemoveIgnored,
    #[value(name = "delete-200")]
    Delete200,
    PasswordReturned,
    DeleteKeepsResource,
}

impl Defect {
    /// The requirement id (from `rfc-requirements.csv`) it breaks, and what it does.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Defect::Create200 => ("P-create-01", "POST answers 200 instead of 201"),
            Defect::NoLocationHeader => ("P-create-03", "POST answers without a Location header"),
            Defect::DuplicateUserName => (
                "P-create-05",
                "a duplicate userName is accepted instead of 409",
            ),
            Defect::ListIgnoresFilter => {
                ("P-filter-03", "list queries ignore the filter parameter")
            }
            Defect::JsonContentType => ("P-media-01", "responses are typed application/json"),
            Defect::NotFoundWithoutBody => ("P-get-02", "404 answers carry no SCIM error body"),
            Defect::AuthIgnored => ("P-errors-05", "requests without a valid token are served"),
            Defect::PatchRemoveIgnored => ("P-patch-17", "PATCH remove operations change nothing"),
            Defect::Delete200 => ("P-delete-01", "DELETE answers 200 instead of 204"),
            Defect::PasswordReturned => ("C-user-03", "password is returned in responses"),
            Defect::DeleteKeepsResource => {
                ("P-delete-02", "DELETE answers 204 but the resource stays")
            }
        }
    }

    pub fn name(self) -> String {
        self.to_possible_value()
            .expect("no skipped variants")
            .get_name()
            .to_string()
    }
}

/// The switches that are on; a small set, looked up on hot paths.
#[derive(Debug, Clone, Default)]
pub struct Defects(Vec<Defect>);

impl Defects {
    pub fn new(on: impl IntoIterator<Item = Defect>) -> Self {
        Defects(on.into_iter().collect())
    }

    pub fn has(&self, d: Defect) -> bool {
        self.0.contains(&d)
    }
}
