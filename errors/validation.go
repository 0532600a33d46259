package errors

// Validation collects the field problems of one request body and turns
// them into a single 422 "Validation Failed", so a client learns every
// problem at once instead of one per round trip.
//
//	v := apierrors.NewValidation("Post")
//	if in.Title == "" {
//		v.MissingField("title")
//	}
//	if err := v.Err(); err != nil {
//		errs.Write(w, r, err)
//		return
//	}
//
// The zero Validation is usable, with an empty resource name.
type Validation struct {
	resource string
	errs     []FieldError
}

// NewValidation returns a Validation whose entries name resource
// ("Post", "User"), as GitHub names the resource in each entry.
func NewValidation(resource string) *Validation {
	return &Validation{resource: resource}
}

// Missing records that the resource field refers to does not exist.
func (v *Validation) Missing(field string) { v.add(field, CodeMissing, "") }

// MissingField records that a required field was not set.
func (v *Validation) MissingField(field string) { v.add(field, CodeMissingField, "") }

// Invalid records that field is malformed.
func (v *Validation) Invalid(field string) { v.add(field, CodeInvalid, "") }

// AlreadyExists records that field must be unique and another resource
// holds the same value.
func (v *Validation) AlreadyExists(field string) { v.add(field, CodeAlreadyExists, "") }

// Unprocessable records that field is well-formed but cannot be used.
func (v *Validation) Unprocessable(field string) { v.add(field, CodeUnprocessable, "") }

// Custom records a problem no code describes; message says what it is.
func (v *Validation) Custom(field, message string) { v.add(field, CodeCustom, message) }

// Add records f as it is; an empty Resource gets the Validation's.
func (v *Validation) Add(f FieldError) {
	if f.Resource == "" {
		f.Resource = v.resource
	}
	v.errs = append(v.errs, f)
}

func (v *Validation) add(field string, code Code, message string) {
	v.errs = append(v.errs, FieldError{Resource: v.resource, Field: field, Code: code, Message: message})
}

// Len returns the number of problems recorded so far.
func (v *Validation) Len() int { return len(v.errs) }

// Err returns nil when nothing was recorded, else the 422 "Validation
// Failed" with every entry in the order recorded. The returned error does
// not share its entries with v.
func (v *Validation) Err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return ValidationFailed(append([]FieldError(nil), v.errs...)...)
}
