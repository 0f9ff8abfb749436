package contact

import (
	"errors"
	"testing"
)

// TestFilterAttributes: a custom field filter matches by the field's key
// (however it is spelled) and, with a value, by equality ignoring case and
// spaces, for typed (number) values too; Count agrees with List, bulk
// actions honour it, and another org's contacts never match.
func TestFilterAttributes(t *testing.T) {
	e := setup(t)
	mk := func(org int64, phone string, attrs map[string]string) Contact {
		t.Helper()
		c, err := e.svc.Create(e.ctx, org, e.user, ContactInput{Phone: phone, Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	mk(e.orgA, "+447911123001", map[string]string{"City": "Leeds", "Shoe size": "38"})
	mk(e.orgA, "+447911123002", map[string]string{"city": "leeds "})
	mk(e.orgA, "+447911123003", map[string]string{"city": "York"})
	typed := mk(e.orgA, "+447911123004", nil)
	mk(e.orgA, "+447911123005", nil)
	mk(e.orgB, "+447911123001", map[string]string{"city": "Leeds"})
	// An import may store a typed value: a number, not a string.
	if err := e.ops.Gorm.Exec(`UPDATE contacts SET attributes = '{"shoe_size": 38}' WHERE id = ?`, typed.ID).Error; err != nil {
		t.Fatal(err)
	}

	for name, c := range map[string]struct {
		f    Filter
		want int64
	}{
		"value, any case":          {Filter{Attribute: "city", AttributeValue: "LEEDS"}, 2},
		"key spelled as typed":     {Filter{Attribute: " City ", AttributeValue: "york"}, 1},
		"has the field":            {Filter{Attribute: "city"}, 3},
		"typed number as text":     {Filter{Attribute: "Shoe size", AttributeValue: "38"}, 2},
		"no such value":            {Filter{Attribute: "city", AttributeValue: "Paris"}, 0},
		"no such field":            {Filter{Attribute: "colour"}, 0},
		"key of punctuation only":  {Filter{Attribute: "  --  ", AttributeValue: "x"}, 5},
		"with another condition":   {Filter{Attribute: "city", AttributeValue: "leeds", Query: "+447911123002"}, 1},
		"value is not a substring": {Filter{Attribute: "city", AttributeValue: "Lee"}, 0},
	} {
		n, err := e.svc.Count(e.ctx, e.orgA, c.f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pg, err := e.svc.List(e.ctx, e.orgA, c.f, Page{Limit: 500})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n != c.want || int64(len(pg.Contacts)) != c.want {
			t.Errorf("%s: Count %d, List %d, want %d", name, n, len(pg.Contacts), c.want)
		}
	}
	if (Filter{Attribute: "--"}).Empty() != true || (Filter{Attribute: "city"}).Empty() {
		t.Error("Empty misreads the attribute filter")
	}

	leeds := Filter{Attribute: "city", AttributeValue: "leeds"}
	if n, err := e.svc.BulkTag(e.ctx, e.orgA, e.user, leeds, []string{"north"}, true); err != nil || n != 2 {
		t.Errorf("bulk tag on the attribute filter: %d, %v", n, err)
	}
	if n, err := e.svc.BulkDelete(e.ctx, e.orgA, e.user, leeds); err != nil || n != 2 {
		t.Errorf("bulk delete on the attribute filter: %d, %v", n, err)
	}
	if n, _ := e.svc.Count(e.ctx, e.orgB, Filter{Attribute: "city", AttributeValue: "leeds"}); n != 1 {
		t.Errorf("org B's contact was touched: %d left, want 1", n)
	}

	// GetList: the list with its members; another org's list is not found.
	l, err := e.svc.CreateList(e.ctx, e.orgA, e.user, "York", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.BulkAddToList(e.ctx, e.orgA, e.user, Filter{Attribute: "city"}, l.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.GetList(e.ctx, e.orgA, l.ID); err != nil || got.Name != "York" || got.Members != 1 {
		t.Errorf("GetList: %+v, %v", got, err)
	}
	if _, err := e.svc.GetList(e.ctx, e.orgB, l.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetList from another org: %v", err)
	}
}
