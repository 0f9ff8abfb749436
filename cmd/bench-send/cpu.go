package main

import (
	"syscall"
	"time"
)

// selfCPU is this process's CPU seconds so far (engine, sandbox and client).
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
