package account

import (
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash format %q", h)
	}
	if !VerifyPassword(h, "correct horse battery") {
		t.Error("right password rejected")
	}
	for _, wrong := range []string{"correct horse batter", "", "Correct horse battery"} {
		if VerifyPassword(h, wrong) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$!!$!!", "$bcrypt$x"} {
		if VerifyPassword(bad, "x") {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short": false, "password": false, "PassWord1": false, "12345678": false, "iloveyou": false,
		"Tidings-Blue-Harbour": true, strings.Repeat("x", 300): false, "ééééééée": true,
	} {
		if err := CheckPassword(pw); (err == nil) != ok {
			t.Errorf("CheckPassword(%.20q) = %v, want ok=%v", pw, err, ok)
		}
	}
}

func TestRoleAtLeast(t *testing.T) {
	if !RoleAtLeast(RoleOwner, RoleAdmin) || RoleAtLeast(RoleMember, RoleAdmin) || RoleAtLeast("", "") || RoleAtLeast("root", RoleMember) {
		t.Error("role ranks wrong")
	}
}
