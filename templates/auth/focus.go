package auth

// The focus methods name the field that gets autofocus: the first with an
// error, else the first the user still has to fill in. After an htmx swap
// htmx honours autofocus, so the cursor lands where the work is.

func (f LoginForm) focus() string {
	if n := f.Errors.First("email", "password"); n != "" {
		return n
	}
	if f.Email != "" {
		return "password"
	}
	return "email"
}

func (f SignupForm) focus() string {
	return f.Errors.First("name", "email", "phone", "password", "business_name", "industry",
		"company_size", "country", "time_zone", "website", "adult", "accept_terms", "accept_privacy")
}

func (f ForgotForm) focus() string {
	if n := f.Errors.First("email"); n != "" {
		return n
	}
	return "email"
}

func (f ResetForm) focus() string {
	if n := f.Errors.First("password", "password_confirm"); n != "" {
		return n
	}
	return "password"
}

func (f InviteForm) focus() string {
	return f.Errors.First("name", "password", "adult", "accept_terms", "accept_privacy")
}
