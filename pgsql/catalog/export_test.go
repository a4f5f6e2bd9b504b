package catalog

// Test helpers for the external test package (translator_probe_test.go).
var (
	BenchSnapshot      = benchSnapshot
	OpenTestDB         = openTestDB
	OIDNames           = oidNames
	Query              = query
	ReadGolden         = readGolden
	NotNullReplaceLine = notNullReplaceLine
	Normalise          = normalise
	SameLines          = sameLines
)
