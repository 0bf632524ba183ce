package main

import (
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is a local SMTP server that accepts every email and discards
// it, counting them: the mail server the notification measures point the
// app at, so the worker really sends during the measure.
type smtpSink struct {
	srv   *smtp.Server
	host  string
	port  int
	mails atomic.Int64
}

func startSMTPSink() (*smtpSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &smtpSink{}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxRecipients = 0
	addr := l.Addr().(*net.TCPAddr)
	s.host, s.port = addr.IP.String(), addr.Port
	go s.srv.Serve(l)
	return s, nil
}

func (s *smtpSink) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

func (s *smtpSink) count() int64 { return s.mails.Load() }

func (s *smtpSink) close() { s.srv.Close() }

// NewSession is smtp.Backend's.
func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }

type sinkSession struct{ s *smtpSink }

func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ss.s.mails.Add(1)
	return nil
}
func (sinkSession) Reset()        {}
func (sinkSession) Logout() error { return nil }
