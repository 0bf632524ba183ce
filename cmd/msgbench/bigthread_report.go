package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// The big-thread measures' table and goals (bigthread.go).

// printBigThread prints the big-thread measures.
func printBigThread(w io.Writer, rs []Result, ratio func(float64) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "big thread\tmembers\trequests\treq/s\tp50 ms\tp99 ms\terrors\tvs\treq/s ratio\tp99 ratio\t"+
		"live clients\tdelivery p50\tdelivery p99\tall clients p99\tfan-out p50\tfan-out p99\tburst drain s\t")
	for _, r := range rs {
		if r.Measure == "bigthread check" {
			continue
		}
		ref, cl, dp50, dp99, all, f50, f99, drain := "-", "-", "-", "-", "-", "-", "-", "-"
		if r.Ref != "" {
			ref = r.Ref
		}
		if r.Measure == "bigpost" {
			cl = fmt.Sprintf("%d (%d/%d)", r.Clients, r.Delivered, r.Sent)
			dp50, dp99, all = fmt.Sprintf("%.1f", r.DeliveryP50), fmt.Sprintf("%.1f", r.DeliveryP99), fmt.Sprintf("%.1f", r.AllClientsP99)
			f50, f99 = fmt.Sprintf("%.0f", r.FanOutP50), fmt.Sprintf("%.0f", r.FanOutP99)
		}
		if r.Measure == "bigburst" {
			drain = fmt.Sprintf("%.2f", r.DrainSeconds)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Measure, r.GroupSize, r.Requests, r.RPS, r.P50, r.P99, r.Errors, ref, ratio(r.RatioRPS), ratio(r.RatioP99),
			cl, dp50, dp99, all, f50, f99, drain)
	}
	tw.Flush()
	for _, r := range rs {
		if r.Measure == "bigthread check" {
			fmt.Fprintf(w, "big thread afterwards: %d members' unread checked against the messages, %d wrong; recount fixed %d\n",
				r.UnreadChecked, r.UnreadWrong, r.RecountFixed)
		}
	}
}

// bigThreadGoals checks the goals for a post into a big thread.
func bigThreadGoals(rep *Report, addGoal func(goal, target, measured string, met bool)) {
	if r := findMeasure(rep, "bigpost"); r != nil {
		addGoal(fmt.Sprintf("post into a %d-member thread, p99", r.GroupSize), "≤ 200 ms",
			fmt.Sprintf("%.1f ms (p50 %.1f; bare create %.1f ms p99)", r.P99, r.P50, r.P99/max(r.RatioP99, 1e-9)), r.P99 <= 200 && r.Errors == 0)
		addGoal(fmt.Sprintf("its %d members' live clients get it", r.Clients), "all",
			fmt.Sprintf("%d/%d posts reached every client; delivery p99 %.1f ms, all clients within %.1f ms p99", r.Delivered, r.Sent, r.DeliveryP99, r.AllClientsP99),
			r.Sent > 0 && r.Delivered == r.Sent)
		addGoal(fmt.Sprintf("fan-out of a post to %d members (the issue's role-message time)", r.GroupSize), "≤ 10 s",
			fmt.Sprintf("%.2f s p99 (p50 %.2f s)", r.FanOutP99/1000, r.FanOutP50/1000), r.FanOutP99 <= 10000)
	}
	if r := findMeasure(rep, "read(big)"); r != nil {
		addGoal(fmt.Sprintf("a member reads a %d-member thread vs a small one, p99", r.GroupSize), "≤ 1.5×",
			fmt.Sprintf("%.2f× (%.1f vs %.1f ms; %.0f vs %.0f req/s)", r.RatioP99, r.P99, r.P99/max(r.RatioP99, 1e-9), r.RPS, r.RPS/max(r.RatioRPS, 1e-9)),
			r.RatioP99 <= 1.5 && r.Errors == 0)
	}
	if r := findMeasure(rep, "send(during fanout)"); r != nil {
		addGoal("other members' sends during a fan-out vs without", "≥ 0.7×",
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s; %d big-thread posts fanned out meanwhile)", r.RatioRPS, r.RPS, r.RPS/max(r.RatioRPS, 1e-9), r.Sent),
			r.RatioRPS >= 0.7)
	}
	if r := findMeasure(rep, "bigthread check"); r != nil {
		addGoal("afterwards: unread exact, recount fixes nothing", "0 / 0",
			fmt.Sprintf("%d of %d sampled wrong; recount fixed %d", r.UnreadWrong, r.UnreadChecked, r.RecountFixed),
			r.UnreadWrong == 0 && r.UnreadChecked > 0 && r.RecountFixed == 0)
	}
}

// findMeasure returns the first result of measure, on any dataset.
func findMeasure(rep *Report, measure string) *Result {
	for i := range rep.Results {
		if rep.Results[i].Measure == measure {
			return &rep.Results[i]
		}
	}
	return nil
}
