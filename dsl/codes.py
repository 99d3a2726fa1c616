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
UNKNOWN_FUNCTION = "SEM100"
PLAN_ERROR = "SEM101"
UNKNOWN_EXTRACTOR = "SEM102"
NO_SPECS = "SEM103"

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
        UNION_MISMATCH: "the members of a union do not have the same column names",
        VIEW_CYCLE: "views depend on each other in a cycle",
        BAD_KEY: "a dataset key names a column the dataset does not declare",
        DUPLICATE_ALIAS: "two sides of a join have the same qualifier",
        TOO_DEEP: "an expression nests deeper than the compiler accepts",
        UNKNOWN_FUNCTION: "a call names a function DataFusion does not provide",
        PLAN_ERROR: "DataFusion rejected the plan a view compiles to",
        UNKNOWN_EXTRACTOR: "a dataset is bound to an extractor the runtime does not implement",
        NO_SPECS: "the specs folder holds no .sem file",
    }
)
