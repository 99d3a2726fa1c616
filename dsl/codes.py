"""Stable diagnostic codes. A code, once published, keeps its meaning."""

from types import MappingProxyType

SYNTAX = "SEM001"
BAD_TOKEN = "SEM002"
DUPLICATE_DECLARATION = "SEM010"
UNKNOWN_RELATION = "SEM011"
UNKNOWN_COLUMN = "SEM012"
AMBIGUOUS_COLUMN = "SEM013"
UNKNOWN_TYPE = "SEM014"
DUPLICATE_COLUMN = "SEM015"
UNKNOWN_QUALIFIER = "SEM016"
UNION_MISMATCH = "SEM017"
VIEW_CYCLE = "SEM018"
BAD_KEY = "SEM019"
DUPLICATE_ALIAS = "SEM020"
TOO_DEEP = "SEM021"
TYPE_MISMATCH = "SEM022"
BAD_CALL = "SEM023"
MISPLACED_AGGREGATE = "SEM024"
UNKNOWN_ENUM_VALUE = "SEM025"
ENUM_NOT_PRODUCED = "SEM026"
NULLABLE = "SEM027"
UNKNOWN_TEMPLATE = "SEM028"
TEMPLATE_ARITY = "SEM029"
TEMPLATE_CYCLE = "SEM030"
UNKNOWN_IMPORT = "SEM031"
IMPORT_CYCLE = "SEM032"
BAD_RECURSION = "SEM033"
BAD_WRITE_POLICY = "SEM034"
BAD_UDF = "SEM035"
NOT_BOOLEAN = "SEM036"
UNKNOWN_FUNCTION = "SEM100"
PLAN_ERROR = "SEM101"
UNKNOWN_EXTRACTOR = "SEM102"
NO_SPECS = "SEM103"
UNKNOWN_UDF_IMPLEMENTATION = "SEM104"
SCHEMA_DISAGREEMENT = "SEM105"

EXPLANATIONS = MappingProxyType(
    {
        SYNTAX: "the text does not follow the .sem grammar",
        BAD_TOKEN: "a character or literal that the .sem lexer does not accept",
        DUPLICATE_DECLARATION: "two declarations share one name",
        UNKNOWN_RELATION: "a pipeline reads a dataset or view that is not declared",
        UNKNOWN_COLUMN: "an expression names a column its input does not have",
        AMBIGUOUS_COLUMN: "an unqualified column exists on both sides of a join",
        UNKNOWN_TYPE: "a column type that .sem does not define",
        DUPLICATE_COLUMN: "a relation would have two columns of one name",
        UNKNOWN_QUALIFIER: "a qualified column names an alias that is not in scope",
        UNION_MISMATCH: "the members of a union do not have the same column names and compatible types",
        VIEW_CYCLE: "views depend on each other in a cycle other than a view's own `recurse` step",
        BAD_KEY: "a dataset key names a column the dataset does not declare",
        DUPLICATE_ALIAS: "two relations in scope have the same qualifier, or an alias hides an enum",
        TOO_DEEP: "an expression nests deeper than the compiler accepts",
        TYPE_MISMATCH: "an operator or cast is applied to values of types it does not accept",
        BAD_CALL: "a call passes the wrong number or types of arguments for the function's signature",
        MISPLACED_AGGREGATE: "an aggregate function outside an aggregate step, or a row expression where one is needed",
        UNKNOWN_ENUM_VALUE: "a value that its enum does not declare is named or produced",
        ENUM_NOT_PRODUCED: "an enum value is declared but no view that reaches an output produces it",
        NULLABLE: "a nullable value where a non-null one is required (keys, merge keys, UDF parameters)",
        UNKNOWN_TEMPLATE: "a `use` step names a template that is not declared",
        TEMPLATE_ARITY: "a `use` step passes a different number of arguments than the template has parameters",
        TEMPLATE_CYCLE: "templates use each other in a cycle",
        UNKNOWN_IMPORT: "an imported file does not exist or is not a relative .sem path",
        IMPORT_CYCLE: "files import each other in a cycle",
        BAD_RECURSION: "a recursive view is not in the linear form that WITH RECURSIVE supports",
        BAD_WRITE_POLICY: "a write policy on a view that is not an output, or naming columns the output lacks",
        BAD_UDF: "a UDF declaration with a bad parameter list or implementation binding",
        NOT_BOOLEAN: "a filter, join condition or case branch condition that is not boolean",
        UNKNOWN_FUNCTION: "a call names a function that is neither a known DataFusion built-in nor a declared UDF",
        PLAN_ERROR: "DataFusion rejected the plan a view compiles to",
        UNKNOWN_EXTRACTOR: "a dataset is bound to an extractor the runtime does not implement",
        NO_SPECS: "the specs folder holds no .sem file",
        UNKNOWN_UDF_IMPLEMENTATION: "a declared UDF has no implementation the runtime can load",
        SCHEMA_DISAGREEMENT: "DataFusion plans a view with other columns or types than the spec implies",
    }
)
