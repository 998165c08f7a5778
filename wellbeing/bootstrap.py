"""django-bootstrap5 field rendering for the whole site: a field is marked only when it is refused.

django-bootstrap5 marks every field of a submitted form without an error as valid (a green tick),
including fields the person never touched; that reads as praise for an empty note. Only errors are
marked here (design: "untouched fields get no green tick")."""

from django_bootstrap5.renderers import FieldRenderer


class ErrorsOnlyFieldRenderer(FieldRenderer):
    def get_server_side_validation_classes(self):
        return "is-invalid" if self.field_errors else ""
