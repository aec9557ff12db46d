//! Ways a faulty server reads and evaluates filters. The bundled server's defect switches
//! turn them on, each breaking one rule of RFC 7644 §3.4.2.2; a correct server has none.

/// One way of getting filters wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Operators and `and`/`or`/`not` are known in lower case only (RFC: any case, 936-942).
    LowerCaseOperators,
    /// `and` and `or` bind equally, left to right (RFC: `and` first, 1183-1191).
    LeftToRight,
    /// Parentheses are skipped, so they group nothing (RFC: grouping first, 1183-1186).
    GroupsIgnored,
    /// `ne` compares strings case-sensitively whatever caseExact says.
    NeCaseExact,
    /// `sw` compares strings case-sensitively whatever caseExact says.
    SwCaseExact,
    /// `ew` compares strings case-sensitively whatever caseExact says.
    EwCaseExact,
    /// `gt` also holds for equal values.
    GtAsGe,
    /// Ordering operators on booleans and binaries match nothing instead of failing with
    /// invalidFilter (1001-1004).
    OrderingBooleans,
    /// Only the first value of a multi-valued attribute is compared.
    FirstValueOnly,
    /// `pr` holds whether or not the attribute has a value.
    PresentAlways,
    /// Ordering operators compare dateTime values by their local date and time, dropping the
    /// offset.
    OffsetsIgnored,
    /// `id` compares without case, though it is caseExact (RFC 7643 §3.1).
    IdFolded,
}

/// The faults in force: a small set, copied into every matcher.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults(u16);

impl Faults {
    pub fn with(self, f: Fault) -> Self {
        Faults(self.0 | 1 << f as u16)
    }

    pub fn has(self, f: Fault) -> bool {
        self.0 & 1 << f as u16 != 0
    }
}
