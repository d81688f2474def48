// chartcheck holds the chart's tests (go test: the chart rendered by the real helm, see helm.go)
// and one command for tests in other languages:
//
//	chartcheck --used-metrics [--helm PATH] CHART_DIR
//
// prints, one per line, the metric names the chart's alert rules and Grafana dashboard query
// (helm: --helm, else $EDGEREPL_HELM, else the one scripts/kube-tools.sh installs).
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	usedMetrics := flag.Bool("used-metrics", false, "print the metric names the alert rules and the dashboard query, one per line")
	helm := flag.String("helm", "", "helm binary (default $EDGEREPL_HELM, else scripts/kube-tools.sh)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s --used-metrics [--helm PATH] CHART_DIR\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if !*usedMetrics || flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if *helm == "" {
		h, err := helmBinary(false)
		if err != nil {
			fmt.Fprintln(os.Stderr, "Error:", err)
			os.Exit(1)
		}
		*helm = h
	}
	out, err := printUsedMetrics(*helm, flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}
