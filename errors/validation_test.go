package errors

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidation(t *testing.T) {
	tests := []struct {
		name   string
		record func(v *Validation)
		want   []FieldError
	}{
		{name: "nothing recorded is no error", record: func(*Validation) {}},
		{
			name: "every code, in the order recorded",
			record: func(v *Validation) {
				v.Missing("author_id")
				v.MissingField("title")
				v.Invalid("published_at")
				v.AlreadyExists("slug")
				v.Unprocessable("body")
				v.Custom("tags", "at most 5 tags")
			},
			want: []FieldError{
				{Resource: "Post", Field: "author_id", Code: "missing"},
				{Resource: "Post", Field: "title", Code: "missing_field"},
				{Resource: "Post", Field: "published_at", Code: "invalid"},
				{Resource: "Post", Field: "slug", Code: "already_exists"},
				{Resource: "Post", Field: "body", Code: "unprocessable"},
				{Resource: "Post", Field: "tags", Code: "custom", Message: "at most 5 tags"},
			},
		},
		{
			name: "Add keeps its own resource, or takes the Validation's",
			record: func(v *Validation) {
				v.Add(FieldError{Resource: "User", Field: "email", Code: CodeAlreadyExists})
				v.Add(FieldError{Field: "title", Code: CodeInvalid})
			},
			want: []FieldError{
				{Resource: "User", Field: "email", Code: "already_exists"},
				{Resource: "Post", Field: "title", Code: "invalid"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewValidation("Post")
			tt.record(v)
			assert.Equal(t, len(tt.want), v.Len())
			err := v.Err()
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusUnprocessableEntity, e.Status)
			assert.Equal(t, MsgValidationFailed, e.Message)
			assert.Equal(t, tt.want, e.Errors)
		})
	}
}

func TestValidationErrDoesNotShareEntries(t *testing.T) {
	v := NewValidation("Post")
	v.MissingField("title")
	var first *Error
	require.ErrorAs(t, v.Err(), &first)
	v.Invalid("body")
	assert.Len(t, first.Errors, 1)
	var zero Validation
	zero.Invalid("x")
	assert.Equal(t, []FieldError{{Field: "x", Code: CodeInvalid}}, zero.Err().(*Error).Errors)
}
