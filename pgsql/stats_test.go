package pgsql

import (
	"database/sql/driver"
	"math/big"
	"testing"
)

// numericVariance against PostgreSQL 15's answers.
func TestNumericVariance(t *testing.T) {
	cases := []struct {
		name         string
		values       []string
		sample, sqrt bool
		want         string
	}{
		{name: "var_samp 1..4", values: []string{"1", "2", "3", "4"}, sample: true, want: "1.6666666666666667"},
		{name: "stddev_samp 1..4", values: []string{"1", "2", "3", "4"}, sample: true, sqrt: true, want: "1.2909944487358056"},
		{name: "var_pop 1..4", values: []string{"1", "2", "3", "4"}, want: "1.2500000000000000"},
		{name: "equal values", values: []string{"1.10", "1.10", "1.10"}, sample: true, want: "0"},
		{name: "large", values: []string{"123456789012", "-5", "7"}, sample: true, want: "5080526250968856786076"},
		{name: "large stddev", values: []string{"123456789012", "-5", "7"}, sample: true, sqrt: true, want: "71277810369"},
		{name: "small", values: []string{"0.001", "0.002", "0.004"}, sample: true, want: "0.000002333333333333333333"},
		{name: "small stddev", values: []string{"0.001", "0.002", "0.004"}, sample: true, sqrt: true, want: "0.001527525231651946668754"},
		{name: "mixed scales", values: []string{"100000.5", "200000.25", "300001.125"}, sample: true, want: "10000062500.20312500"},
		{name: "mixed scales stddev", values: []string{"100000.5", "200000.25", "300001.125"}, sample: true, sqrt: true, want: "100000.31250053"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &statAgg{sample: c.sample, sqrt: c.sqrt, scale: -2}
			for _, v := range c.values {
				if err := a.Step(nil, []driver.Value{v, int64(0)}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := a.WindowValue(nil)
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %s", got, err, c.want)
			}
		})
	}
}

func TestSelectDivScale(t *testing.T) {
	cases := []struct {
		m1     int64
		s1     int
		m2     int64
		s2     int
		rscale int
	}{
		{20, 0, 12, 0, 16},     // 20 / 12
		{12, 0, 20, 0, 20},     // first digit 12 <= 20
		{33750, 4, 6, 0, 20},   // 3.375 / 6
		{332894, 0, 20, 0, 12}, // base-10000 weight 1 / weight 0
		{1, 8, 1, 0, 28},       // 0.00000001: weight -2
	}
	for _, c := range cases {
		got := selectDivScale(big.NewInt(c.m1), c.s1, big.NewInt(c.m2), c.s2)
		if got != c.rscale {
			t.Errorf("selectDivScale(%d/10^%d, %d/10^%d) = %d, want %d", c.m1, c.s1, c.m2, c.s2, got, c.rscale)
		}
	}
}

func TestVarianceAggregates(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE v (g text, i int, x numeric(10,2), f float8)")
	d.mustRun(t, "INSERT INTO v VALUES ('a', 1, 1.50, 1.5), ('a', 2, 2.25, 2.5), ('a', 3, 3, 3.5), ('b', 4, NULL, NULL)")
	runCases(t, d, []stmtCase{
		{sql: "SELECT stddev(i), variance(i), stddev_pop(i), var_pop(i) FROM v",
			rows: "1.2909944487358056|1.6666666666666667|1.1180339887498948|1.2500000000000000", cols: "stddev:1700,variance:1700,stddev_pop:1700,var_pop:1700"},
		{sql: "SELECT stddev(x), variance(x) FROM v", rows: "0.75000000000000000000|0.56250000000000000000"},
		{sql: "SELECT stddev_samp(f), var_samp(f), stddev_pop(f), var_pop(f) FROM v", rows: "1|1|0.816496580927726|0.6666666666666666", cols: "stddev_samp:701,var_samp:701,stddev_pop:701,var_pop:701"},
		{sql: "SELECT g, stddev(i), variance(f) FROM v GROUP BY g ORDER BY g", rows: "a|1.00000000000000000000|1\nb|NULL|NULL"},
		{sql: "SELECT var_pop(i) FILTER (WHERE g = 'b'), variance(i) FILTER (WHERE false) FROM v", rows: "0|NULL"},
		{sql: "SELECT pg_typeof(stddev(i)), pg_typeof(variance(f)) FROM v", rows: "numeric|double precision"},
		{sql: "SELECT stddev(g) FROM v", code: "42883"},
		{sql: "SELECT stddev(DISTINCT i) FROM v", code: "0A000"},
	})
}
